// /posts — the catalog: every post the bot covers, by section, with links.
import { z } from 'zod';
import { POSTS, SECTION_TITLES, findPost, notebookUrl, type Section } from '../src/catalog/posts.ts';
import { defineTextCommand } from '../src/commands/define.ts';
import { invocation } from '../src/commands/usage.ts';
import { OptionError } from '../src/analyses/types.ts';

const SECTIONS = Object.keys(SECTION_TITLES) as [Section, ...Section[]];

export default defineTextCommand({
  name: 'posts',
  description: 'The Substack posts the bot covers, with links (optionally one section or one post)',
  options: z.object({
    section: z.enum(SECTIONS).optional().describe('Only this section: llm (Dissecting LLMs) or data-science'),
    post: z.string().min(1).max(64).optional().describe('Show one post in detail (its command name, e.g. attention)'),
  }).strict(),
  ephemeral: false,
  async execute({ section, post }, ctx) {
    const platform = ctx.requester.platform;
    if (post) {
      const p = findPost(post.replace(/^\//, '').trim());
      if (!p) throw new OptionError('post', `no post "${post}"; the posts are ${POSTS.map((x) => x.id).join(', ')}`);
      const tryIt = p.hasAnalysis ? `\n\nTry it: \`${invocation(platform, p.id)}\`` : `\n\n${p.noCommand ?? '(No command for this post yet.)'}`;
      const urlNote = p.urlNote ? `\n\n${p.urlNote}` : '';
      return {
        title: p.title,
        text: `${SECTION_TITLES[p.section]}\n\n${p.summary}${tryIt}${urlNote}`,
        links: [{ label: 'Read the post', url: p.url }, { label: 'Notebook', url: notebookUrl(p) }],
      };
    }
    const sections = section ? [section] : SECTIONS;
    const lines: string[] = [];
    for (const s of sections) {
      lines.push(`${SECTION_TITLES[s]}`);
      for (const p of POSTS.filter((x) => x.section === s)) {
        lines.push(p.hasAnalysis ? `• \`${invocation(platform, p.id)}\` — ${p.title}` : `• ${p.title} (${p.noCommand ? 'no command: see its post' : 'no command yet'})`);
      }
      lines.push('');
    }
    lines.push(`\`${invocation(platform, 'posts', 'post:attention')}\` shows one post with its summary and notebook.`);
    const shown = POSTS.filter((p) => sections.includes(p.section));
    return {
      title: section ? `Posts — ${SECTION_TITLES[section]}` : "Mike X Cohen's Substack: the posts",
      text: lines.join('\n'),
      links: shown.map((p) => ({ label: p.title.slice(0, 80), url: p.url })),
    };
  },
});
