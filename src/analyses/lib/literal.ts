// Text a user wrote, inside an explanation the project wrote. Explanations are Markdown (runnable
// hints in `code`, links); a user's text must show literally — `**x**` or `[x](https://…)` in a
// prompt must not become bold or a live link, and a backtick must not end a hint early. Analyses
// wrap such text with literal(); each platform then escapes those spans in its own syntax
// (Discord and CLI Markdown, Slack mrkdwn, the playground's HTML) and formats the rest.

/** Private-use code points: they never occur in text a user can type into chat and mean nothing. */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const MARKS = /[\uE000\uE001]/g;

/** Mark `text` as the user's: shown exactly as typed on every platform. */
export function literal(text: string): string {
  return `${OPEN}${text.replace(MARKS, '')}${CLOSE}`;
}

/** A user's string in double quotes, JSON-escaped (spaces and newlines visible), shown literally. */
export function quoted(text: string): string {
  return literal(JSON.stringify(text));
}

export interface Segment {
  text: string;
  /** The user's text (escape it), or the project's Markdown (format it). */
  literal: boolean;
  /** Inside a `code span` of the project's Markdown (the literal must not contain a backtick). */
  inCode: boolean;
}

/** The text cut into the project's Markdown and the user's literal spans (an unclosed one runs to the end). */
export function splitLiterals(text: string): Segment[] {
  const out: Segment[] = [];
  let inCode = false;
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf(OPEN, i);
    const markdown = text.slice(i, open < 0 ? undefined : open);
    if (markdown) {
      out.push({ text: markdown, literal: false, inCode });
      for (const ch of markdown) if (ch === '`') inCode = !inCode;
    }
    if (open < 0) break;
    const close = text.indexOf(CLOSE, open + 1);
    const lit = text.slice(open + 1, close < 0 ? undefined : close);
    if (lit) out.push({ text: lit, literal: true, inCode });
    i = close < 0 ? text.length : close + 1;
  }
  return out;
}

/** Join the segments, escaping the user's spans with `escape` (by context) and passing the rest through `format`. */
export function renderLiterals(text: string, escape: (s: string, inCode: boolean) => string, format: (s: string) => string = (s) => s): string {
  return splitLiterals(text).map((s) => (s.literal ? escape(s.text, s.inCode) : format(s.text))).join('');
}

/** The text with the marks removed: for alt text, logs and plain-text output. */
export function plainText(text: string): string {
  return text.replace(MARKS, '');
}

/** In a code span nothing is formatted, but a backtick would end it: swap in a look-alike. */
export function codeSafe(s: string): string {
  return s.replace(/`/g, 'ˋ');
}

/** CommonMark / Discord Markdown: backslash-escape every character that could start formatting. */
export function escapeMarkdown(s: string, inCode: boolean): string {
  if (inCode) return codeSafe(s);
  return s.replace(/[\\`*_~|>#[\]()<:-]/g, (c) => `\\${c}`).replace(/^(\s*)(\d+)\./gm, '$1$2\\.');
}
