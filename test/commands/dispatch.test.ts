// handleCommand's contract against a real Redis: bad input → an error and no job; good input →
// one job with validated options; limits → friendly errors; text commands → replies.
import assert from 'node:assert/strict';
import { POSTS } from '../../src/catalog/posts.ts';
import { PRESENCE_TTL_MS, publishModels } from '../../src/queue/model-presence.ts';
import { after, before, test } from 'node:test';
import type { Deliverer } from '../../src/chat/types.ts';
import { createDispatcher, type CommandRequest, type Dispatcher } from '../../src/commands/dispatch.ts';
import { ResultCache } from '../../src/queue/cache.ts';
import type { ReplyTarget } from '../../src/queue/jobs.ts';
import type { QueueRuntime } from '../../src/queue/runtime.ts';
import { dropRuntime, testRuntime } from '../queue/support.ts';

let rt: QueueRuntime;
let dispatcher: Dispatcher;
const delivered: { kind: string; target: ReplyTarget; text: string }[] = [];
const recorder: Deliverer = {
  platform: 'web',
  progress: async (target, text) => void delivered.push({ kind: 'progress', target, text }),
  deliverResult: async (target, r) => void delivered.push({ kind: 'result', target, text: r.title }),
  deliverError: async (target, text) => void delivered.push({ kind: 'error', target, text }),
};

before(() => {
  rt = testRuntime({ rateLimitCount: 4, rateLimitWindowS: 60, channelMaxJobs: 3, defaultModel: 'gpt2' });
  dispatcher = createDispatcher({ runtime: rt, deliverers: () => recorder });
});
after(() => dropRuntime(rt));

let n = 0;
function req(command: string, rawOptions: Record<string, unknown> = {}, who = 'ana', channel = 'tab-1', extra: Partial<CommandRequest> = {}): CommandRequest {
  return {
    requestId: `req-${++n}`, command, rawOptions,
    requester: { platform: 'web', userId: who },
    target: { platform: 'web', sessionId: channel },
    ...extra,
  };
}

async function jobCount(): Promise<number> {
  let total = 0;
  for (const q of Object.values(rt.queues)) total += await q.count();
  return total;
}

test('bad options: an error naming the option and its limit, and no job', async () => {
  const out = await dispatcher.handle(req('fourier', { srate: '5000' }));
  assert.equal(out.kind, 'error');
  assert.match(out.kind === 'error' ? out.message : '', /^srate: must be at most 2000 — `\/help command:fourier` lists the options\.$/);
  const out2 = await dispatcher.handle(req('fourier', { bogus: '1' }));
  assert.match(out2.kind === 'error' ? out2.message : '', /^bogus: unknown option; valid options are frequencies, amplitudes/);
  const out3 = await dispatcher.handle(req('fourier', { frequencies: '600', srate: '1000', amplitudes: '1' }));
  assert.match(out3.kind === 'error' ? out3.message : '', /^frequencies: 600 Hz is not below the Nyquist frequency/);
  const out4 = await dispatcher.handle(req('fourier', {}, 'ana', 'tab-1', { model: 'gpt2' }));
  assert.match(out4.kind === 'error' ? out4.message : '', /^model: \/fourier runs no language model/);
  const out5 = await dispatcher.handle(req('heatmap', { model: '/etc/passwd' }));
  assert.match(out5.kind === 'error' ? out5.message : '', /^model: must be one of gpt2, gpt2-medium/);
  const out6 = await dispatcher.handle(req('nope'));
  assert.match(out6.kind === 'error' ? out6.message : '', /no command "nope"/);
  assert.equal(await jobCount(), 0);
  assert.deepEqual(delivered, []);
});

test('a good command: one job with the validated options, on the light queue, queued note first', async () => {
  let countAtNote = -1;
  const r = req('fourier', { srate: '500', frequencies: '3, 5', amplitudes: '1|2' }, 'ana', 'tab-2', {
    showQueued: async () => void (countAtNote = await jobCount()),
  });
  const out = await dispatcher.handle(r);
  assert.equal(out.kind, 'queued');
  assert.ok(out.kind === 'queued' && out.position === 1 && out.jobId === `r-${r.requestId}`);
  assert.equal(countAtNote, 0, 'showQueued ran before the job was visible to workers');
  const job = await rt.queues.light.getJob(`r-${r.requestId}`);
  assert.ok(job);
  assert.equal(job.name, 'fourier');
  assert.deepEqual(job.data.options, { frequencies: [3, 5], amplitudes: [1, 2], srate: 500, duration: 3, wavelet_freq: 5, phase: Math.PI / 4, phases: 16 });
  assert.deepEqual(job.data.target, { platform: 'web', sessionId: 'tab-2' });
  assert.equal(job.data.requestId, r.requestId);
  assert.equal(job.opts.attempts, rt.settings.jobAttempts);

  // The platform re-sending the same request adds nothing.
  const again = await dispatcher.handle({ ...r, showQueued: undefined });
  assert.equal(again.kind, 'queued');
  assert.equal(await rt.queues.light.count(), 1);

  const second = await dispatcher.handle(req('correlation', {}, 'ana', 'tab-2'));
  assert.ok(second.kind === 'queued' && second.position === 2);
});

test('GPT-2 commands go to the model queue; only a model the user named travels with the job', async () => {
  const out = await dispatcher.handle(req('heatmap', {}, 'ben', 'tab-3'));
  assert.equal(out.kind, 'queued');
  const job = await rt.queues.model.getJob(out.kind === 'queued' ? out.jobId : '');
  // No model named: the worker picks the notebook's model or the default, and says which.
  assert.equal(job?.data.model, undefined);
  const chosen = await dispatcher.handle(req('heatmap', { model: 'tiny-random' }, 'ben', 'tab-3'));
  assert.equal((await rt.queues.model.getJob(chosen.kind === 'queued' ? chosen.jobId : ''))?.data.model, 'tiny-random');
});

test('a cached result goes to the cache-hit queue at position 0', async () => {
  const cache = new ResultCache(rt);
  await cache.put({ analysis: 'correlation', options: { pop_r: [-0.7, 0, 0.7], n: 50, sweep_n: 500, sweep_steps: 100, offset: -10, seed: 3 }, model: null }, {
    analysis: 'correlation', title: 't', explanation: 'e', postUrl: 'u', notebookUrl: 'n', model: null, seed: 3, options: {},
    timings: { computeMs: 0, renderMs: 0, totalMs: 0 }, figures: [], data: {},
  });
  const out = await dispatcher.handle(req('correlation', { n: '50', seed: '3' }, 'cy', 'tab-4'));
  assert.ok(out.kind === 'queued' && out.position === 0);
  assert.ok(await rt.queues.cached.getJob(out.jobId));
  // Without a seed the user expects fresh samples: never the cache.
  const fresh = await dispatcher.handle(req('correlation', { n: '50' }, 'cy', 'tab-4b'));
  assert.ok(fresh.kind === 'queued' && fresh.position > 0);
  assert.ok(await rt.queues.light.getJob(fresh.jobId));
});

test('rate limit per user and cap per channel: friendly errors, no job', async () => {
  const before = await jobCount();
  const outs = [];
  for (let i = 0; i < 5; i++) outs.push(await dispatcher.handle(req('correlation', { seed: String(i) }, 'dee', `tab-d${i}`)));
  assert.deepEqual(outs.map((o) => o.kind), ['queued', 'queued', 'queued', 'queued', 'error']);
  assert.match(outs[4]!.kind === 'error' ? outs[4]!.message : '', /you can start 4 analyses every 60 s\. Try again in \d+ s/);
  assert.equal(await jobCount(), before + 4);

  const chan = [];
  for (const who of ['e1', 'e2', 'e3', 'e4']) chan.push(await dispatcher.handle(req('correlation', {}, who, 'busy-channel')));
  assert.deepEqual(chan.map((o) => o.kind), ['queued', 'queued', 'queued', 'error']);
  assert.match(chan[3]!.kind === 'error' ? chan[3]!.message : '', /This channel already has 3 analyses queued or running/);
});

test('work budgets: commands are charged their estimated model-seconds; a heavy one uses up the budget, the next is refused with the numbers', async () => {
  const budgeted = createDispatcher({ runtime: rt, deliverers: () => recorder, budgets: { windowS: 600, userS: 10, channelS: 0 } });
  const before = await jobCount();
  // 50 new tokens for 12 rows after a 120-token prompt, 10 of them sampled over the whole
  // vocabulary: over 10 s of gpt2 work, more than the whole budget, so it may run only while the
  // window is empty, and takes all of it.
  const heavy = await budgeted.handle(req('logits', { prompt: 'I like oat milk in my coffee, '.repeat(15), max_new_tokens: '50', samples: '10' }, 'hub', 'tab-h1'));
  assert.equal(heavy.kind, 'queued');
  const next = await budgeted.handle(req('heatmap', {}, 'hub', 'tab-h2'));
  assert.equal(next.kind, 'error');
  assert.match(next.kind === 'error' ? next.message : '', /^You have used 10 s of your 10 s of compute time per 10 min, and \/heatmap with these options needs about 1 s\. Enough frees up in 10 min\./);
  // Someone else is not affected; a default /logits costs a couple of seconds.
  assert.equal((await budgeted.handle(req('logits', {}, 'hub2', 'tab-h3'))).kind, 'queued');
  assert.equal(await jobCount(), before + 2);
});

test('work budgets: the estimate is for the model that will run: the one named, else the notebook\'s if a worker has it, else the default', async () => {
  const budgeted = createDispatcher({ runtime: rt, deliverers: () => recorder, budgets: { windowS: 600, userS: 10, channelS: 0 } });
  // Each user first spends a little (a default /heatmap), so a job dearer than the whole budget
  // (which would run alone in an empty window) is refused.
  for (const who of ['ida', 'ida2', 'ida3']) assert.equal((await budgeted.handle(req('heatmap', {}, who, `tab-${who}`))).kind, 'queued');
  // /attention's notebook uses gpt2-large; no worker has reported it, so it runs (and costs) as gpt2.
  assert.equal((await budgeted.handle(req('attention', {}, 'ida', 'tab-i1'))).kind, 'queued');
  const large = await budgeted.handle(req('attention', { model: 'gpt2-large' }, 'ida2', 'tab-i2'));
  assert.match(large.kind === 'error' ? large.message : '', /\/attention with these options needs all of it/);
  await publishModels(rt, ['gpt2-large']);
  try {
    const preferred = await budgeted.handle(req('attention', {}, 'ida3', 'tab-i3'));
    assert.match(preferred.kind === 'error' ? preferred.message : '', /needs all of it/, 'on gpt2-large it is dearer than 10 s');
  } finally {
    await rt.redis.hdel(rt.key('models', 'present'), 'gpt2-large');
  }
});

test('/posts: the catalog by section with links; one post in detail', async () => {
  const all = await dispatcher.handle(req('posts'));
  assert.ok(all.kind === 'reply' && !all.ephemeral);
  assert.match(all.reply.text, /Dissecting LLMs with ML[\s\S]*Data science, unpacked/);
  assert.match(all.reply.text, /`\/attention` — LLM breakdown 5\/6: Attention/);
  assert.equal(all.reply.links?.length, POSTS.length);
  // Every notebook of the author's repository is in the catalog (30 of them), REVE marked as having no command.
  assert.equal(POSTS.length, 30);
  assert.match(all.reply.text, /Exploring the REVE EEG transformer \(no command: see its post\)/);
  const llm = await dispatcher.handle(req('posts', { section: 'llm' }));
  assert.ok(llm.kind === 'reply' && !/Data science/.test(llm.reply.text));
  assert.ok(llm.kind === 'reply' && llm.reply.links!.every((l) => /^https:\/\/(mikexcohen\.substack\.com|thepalindrome\.org)(\/|$)/.test(l.url)));
  const reve = await dispatcher.handle(req('posts', { post: 'reve' }));
  assert.ok(reve.kind === 'reply' && /custom code from its Hugging Face repository[\s\S]*gated/.test(reve.reply.text));
  const kaprekar = await dispatcher.handle(req('posts', { post: 'kaprekar' }));
  assert.ok(kaprekar.kind === 'reply' && /No post URL is known/.test(kaprekar.reply.text));
  const one = await dispatcher.handle(req('posts', { post: 'zipf' }));
  assert.ok(one.kind === 'reply');
  assert.deepEqual(one.reply.links?.map((l) => l.label), ['Read the post', 'Notebook']);
  const bad = await dispatcher.handle(req('posts', { section: 'poetry' }));
  assert.match(bad.kind === 'error' ? bad.message : '', /^section: must be one of llm, data-science/);
});

test('/help: the commands, one command with its options, Slack syntax on Slack', async () => {
  const all = await dispatcher.handle(req('help'));
  assert.ok(all.kind === 'reply' && all.ephemeral);
  assert.match(all.reply.text, /`\/fourier` — The Fourier transform/);
  const one = await dispatcher.handle(req('help', { command: 'fourier' }));
  assert.ok(one.kind === 'reply');
  assert.match(one.reply.text, /• `srate` \(integer 20–2000, default 1000\) — Sampling rate/);
  assert.match(one.reply.text, /Example: `\/fourier frequencies:3,5,9,12`/);
  const slack = await dispatcher.handle({ ...req('help', { command: 'heatmap' }), requester: { platform: 'slack', userId: 'U1' } });
  assert.ok(slack.kind === 'reply');
  assert.match(slack.reply.text, /• `model` \(one of gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, tiny-random\) — GPT-2 checkpoint/);
  assert.match(slack.reply.text, /Example: `\/lab heatmap /);
  // The models some worker reported (model-presence.ts) are marked; a stale report does not count.
  await publishModels(rt, ['gpt2']);
  await publishModels(rt, ['gpt2-xl'], Date.now() - PRESENCE_TTL_MS - 1);
  const marked = await dispatcher.handle(req('help', { command: 'heatmap' }));
  assert.ok(marked.kind === 'reply');
  assert.match(marked.reply.text, /Models \(✓ downloaded on the workers, ✗ not: `npx lab models pull NAME`\): gpt2 ✓, gpt2-medium ✗, gpt2-large ✗, gpt2-xl ✗/);
  const bad = await dispatcher.handle(req('help', { command: 'teleport' }));
  assert.match(bad.kind === 'error' ? bad.message : '', /^command: no command "teleport"/);
});

test('/job: your jobs with their state; cancel removes a waiting one and says so on its message once', async () => {
  const a = await dispatcher.handle(req('fourier', { srate: '800' }, 'fay', 'tab-f'));
  const b = await dispatcher.handle(req('heatmap', {}, 'fay', 'tab-f2'));
  assert.ok(a.kind === 'queued' && b.kind === 'queued');
  const list = await dispatcher.handle(req('job', {}, 'fay'));
  assert.ok(list.kind === 'reply' && list.ephemeral);
  const lines = list.reply.text.split('\n').filter((l) => l.startsWith('•'));
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^• `[\w-]{6}` \/heatmap — waiting, position \d+ \(\d+ s ago\)$/);
  assert.match(lines[1]!, /\/fourier — waiting, position \d+/);

  const shortId = a.jobId.slice(-6);
  const other = await dispatcher.handle(req('job', { id: shortId, cancel: 'true' }, 'gil'));
  assert.ok(other.kind === 'reply' && /None of your recent jobs has the id/.test(other.reply.text), 'only your own jobs');
  assert.ok(await rt.queues.light.getJob(a.jobId));

  const cancelled = await dispatcher.handle(req('job', { id: shortId, cancel: 'true' }, 'fay'));
  assert.ok(cancelled.kind === 'reply');
  assert.match(cancelled.reply.text, /^Cancelled job `[\w-]+` \(\/fourier\) before it started\.$/);
  assert.equal(await rt.queues.light.getJob(a.jobId), undefined);
  const notes = delivered.filter((d) => d.kind === 'error' && d.target.platform === 'web' && d.target.sessionId === 'tab-f');
  assert.deepEqual(notes.map((d) => d.text), ['Cancelled at your request.']);
  const twice = await dispatcher.handle(req('job', { id: shortId, cancel: 'true' }, 'fay'));
  assert.ok(twice.kind === 'reply' && /already finished \(expired\)/.test(twice.reply.text));

  const noId = await dispatcher.handle(req('job', { cancel: 'true' }, 'fay'));
  assert.match(noId.kind === 'error' ? noId.message : '', /^id: required with cancel:true/);
});

test('text commands have their own per-user limit: the 31st /posts in a minute waits, another user does not', async () => {
  for (let i = 0; i < 30; i++) assert.equal((await dispatcher.handle(req('posts', {}, 'tex'))).kind, 'reply', `command ${i + 1}`);
  const refused = await dispatcher.handle(req('posts', {}, 'tex'));
  assert.ok(refused.kind === 'error' && /^Easy there — you can send 30 commands such as \/help, \/posts and \/job every 60 s\. Try again in \d+ s\.$/.test(refused.message));
  assert.equal((await dispatcher.handle(req('posts', {}, 'other-user'))).kind, 'reply');
});
