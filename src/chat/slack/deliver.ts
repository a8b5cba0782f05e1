// The Slack Deliverer: workers use it to post results to the channel (or thread) with the
// external upload flow (files.getUploadURLExternal → upload → files.completeUploadExternal), and
// to update the requester's ephemeral "queued" note.
//
// Exactly once. files.completeUploadExternal and chat.postMessage create a message each time
// they reach Slack, so they are never retried blindly (the Web API client's own retries are off
// for them: web.ts). Each step that cannot be taken back is written down first in the delivery
// ledger's notes (src/queue/delivery-ledger.ts): the uploaded file ids before the completion, a
// marker put in a text message's metadata before posting it. When an answer is lost (a 5xx, a
// reset connection, a timeout), or a later attempt finds the notes of one whose worker died, the
// platform is asked what happened — files.info: are the files shared in the channel?
// conversations.history: is the marked message there? — and the post is finished, or left alone,
// accordingly. Slack answers these checks only with the files:read and channels:history (or
// groups:history) scopes; without them an unconfirmed post is reported to the user, never repeated.
import { randomUUID } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { AnalysisResult, Figure } from '../../analyses/types.ts';
import { config } from '../../config.ts';
import { DeliveryRefusedError, localAttempt, type DeliveryAttempt } from '../../queue/delivery-ledger.ts';
import type { ReplyTarget } from '../../queue/jobs.ts';
import type { Deliverer, Digest } from '../types.ts';
import { escapeSlackText, resultComment, slackLink } from './mrkdwn.ts';
import { replaceEphemeral, ResponseUrlBudget } from './response-url.ts';
import { createSlackWebClient, type SlackWebConfig } from './web.ts';

export type SlackTarget = Extract<ReplyTarget, { platform: 'slack' }>;

/**
 * Files per message. Slack documents no limit for files.completeUploadExternal, but answers
 * internal_error past 14 files (slackapi/python-slack-sdk#1653) and its clients lay out 10 per
 * message: a result with more figures is posted as several messages of at most 10 files.
 */
export const SLACK_FILES_PER_MESSAGE = 10;

/** The metadata event type that marks a text message as ours (found again by conversations.history). */
export const SLACK_MARKER_EVENT = 'substack_lab_post';

export interface SlackDelivererOptions {
  /** Use this client instead of building one from the config (the bot shares its own). */
  client?: webApi.WebClient;
  /** For the calls that must not be retried blindly; built from the config (retries off) when absent. */
  onceClient?: webApi.WebClient;
  /**
   * After a lost answer Slack may still be sharing the files (it does so asynchronously): wait
   * this long before taking "not shared yet" for "not shared".
   */
  confirmDelayMs?: number;
}

/** A message with files: uploaded, being completed (it may have been posted), or posted. */
type PartNote = { stage: 'restart' } | { stage: 'uploaded' | 'completing' | 'done'; ids: string[] };
/** A text message: being posted under a marker since `since` (ms), or posted. */
type TextNote = { stage: 'posting' | 'done'; marker: string; since: number };

type Failure =
  | { kind: 'rate-limited'; retryAfterMs: number }
  | { kind: 'refused'; error: string; needed?: string }
  /** No answer, a 5xx, or an error Slack says may have left part of the work done. */
  | { kind: 'unknown' };

/** Platform errors after which Slack says the operation may have partly happened. */
const MAYBE_DONE = new Set(['internal_error', 'fatal_error', 'request_timeout', 'service_unavailable']);
/** Platform errors a retry cannot fix: the user (or the admin) has to act. */
const PERMANENT = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'missing_scope', 'not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'restricted_action', 'msg_too_long', 'no_permission']);

function classify(err: unknown): Failure {
  const e = err as { code?: string; retryAfter?: number; data?: { error?: string; needed?: string } };
  if (e?.code === 'slack_webapi_rate_limited_error') return { kind: 'rate-limited', retryAfterMs: Math.max(0, (e.retryAfter ?? 1) * 1000) };
  if (e?.code === 'slack_webapi_platform_error') {
    const error = e.data?.error ?? 'unknown_error';
    if (error === 'ratelimited') return { kind: 'rate-limited', retryAfterMs: 1000 };
    if (MAYBE_DONE.has(error)) return { kind: 'unknown' };
    return { kind: 'refused', error, ...(e.data?.needed ? { needed: e.data.needed } : {}) };
  }
  return { kind: 'unknown' };
}

/** What to tell the user when Slack refuses for good; a plain Error (retried) otherwise. */
function refusal(f: Extract<Failure, { kind: 'refused' }>): Error {
  if (!PERMANENT.has(f.error)) return new Error(`Slack refused the post: ${f.error}`);
  const why = f.error === 'not_in_channel' || f.error === 'channel_not_found'
    ? 'I cannot post in this channel: invite me with `/invite @substack-lab` and run the command again.'
    : f.error === 'missing_scope'
      ? `the Slack app lacks the ${f.needed ?? 'needed'} scope: reinstall it from slack-manifest.yml.`
      : `Slack refused the post (${f.error}).`;
  return new DeliveryRefusedError(why);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createSlackDeliverer(cfg: SlackWebConfig = config, opts: SlackDelivererOptions = {}): Deliverer<SlackTarget> {
  // Built on first use, so a worker without Slack credentials can still load the registry.
  let web = opts.client;
  const client = () => (web ??= createSlackWebClient(cfg));
  let onceWeb = opts.onceClient;
  const once = () => (onceWeb ??= createSlackWebClient(cfg, { retries: false }));
  const confirmDelayMs = opts.confirmDelayMs ?? 1_500;
  const budget = new ResponseUrlBudget();

  /** Best effort: the note is a courtesy, and its URL may have expired or run out of uses. */
  const updateNote = async (url: string, text: string): Promise<boolean> => {
    try {
      await replaceEphemeral(url, text);
      return true;
    } catch {
      return false;
    }
  };

  const where = (t: SlackTarget) => (t.threadTs ? { thread_ts: t.threadTs } : {});

  /** Is a file of this message shared in the target channel? 'unknown' when Slack did not say. */
  async function shared(t: SlackTarget, ids: string[]): Promise<'yes' | 'no' | 'unknown'> {
    try {
      const res = await client().files.info({ file: ids[0]! });
      const f = res.file as (typeof res.file & { shares?: { public?: object; private?: object } }) | undefined;
      const inShares = [f?.shares?.public, f?.shares?.private].some((s) => s !== undefined && t.channelId in s);
      const listed = [f?.channels, f?.groups, f?.ims].some((list) => list?.includes(t.channelId));
      return inShares || listed ? 'yes' : 'no';
    } catch (err) {
      const f = classify(err);
      if (f.kind === 'refused' && (f.error === 'file_not_found' || f.error === 'file_deleted')) return 'no';
      if (f.kind === 'refused' && PERMANENT.has(f.error)) {
        throw new DeliveryRefusedError(`I could not check whether its figures reached the channel (Slack: ${f.error}${f.needed ? `, needs ${f.needed}` : ''}), so I did not post them again. If they are missing, run the command again.`);
      }
      return 'unknown';
    }
  }

  /** Sharing is asynchronous on Slack's side: "not yet" is only believed after a second look. */
  async function confirmShared(t: SlackTarget, ids: string[]): Promise<'yes' | 'no' | 'unknown'> {
    const first = await shared(t, ids);
    if (first !== 'no') return first;
    await sleep(confirmDelayMs);
    return shared(t, ids);
  }

  /** One figure to a fresh upload URL. Safe to repeat: an upload never completed is never shown. */
  async function upload(f: Figure): Promise<string> {
    for (let tries = 1; ; tries++) {
      try {
        const res = await client().files.getUploadURLExternal({ filename: `${f.name}.png`, length: f.png.length, alt_text: f.alt });
        const put = await fetch(res.upload_url!, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(f.png), signal: AbortSignal.timeout(60_000) });
        await put.arrayBuffer();
        if (!put.ok) throw new Error(`Slack's upload URL answered ${put.status}`);
        return res.file_id!;
      } catch (err) {
        const failure = classify(err);
        if (failure.kind === 'refused' && (PERMANENT.has(failure.error) || tries >= 3)) throw refusal(failure);
        if (tries >= 3) throw err;
        await sleep(failure.kind === 'rate-limited' ? failure.retryAfterMs : 500 * tries);
      }
    }
  }

  /** Figures (≤ SLACK_FILES_PER_MESSAGE) shared as one message with `comment`, once. */
  async function postFiles(t: SlackTarget, key: string, figures: Figure[], comment: string, attempt: DeliveryAttempt): Promise<void> {
    let note = attempt.note<PartNote>(key);
    if (note?.stage === 'done') return;
    if (note?.stage === 'completing') {
      // An earlier attempt sent the completion and never heard back.
      const seen = await confirmShared(t, note.ids);
      if (seen === 'yes') return attempt.record(key, { stage: 'done', ids: note.ids });
      if (seen === 'unknown') throw new Error('could not ask Slack whether the figures were posted');
    }
    let ids: string[];
    if (note && note.stage !== 'restart') ids = note.ids;
    else {
      ids = await mapLimit(figures, 4, (f) => upload(f));
      note = { stage: 'uploaded', ids };
    }
    const files = ids.map((id, i) => ({ id, title: figures[i]!.title })) as [{ id: string; title: string }, ...{ id: string; title: string }[]];
    for (let tries = 1; ; tries++) {
      await attempt.record(key, { stage: 'completing', ids });
      try {
        await once().files.completeUploadExternal({ channel_id: t.channelId, ...where(t), initial_comment: comment, files } as webApi.FilesCompleteUploadExternalArguments);
        break;
      } catch (err) {
        const f = classify(err);
        if (f.kind === 'rate-limited' && tries < 5) {
          // A 429 is an answer: nothing was posted.
          await attempt.record(key, { stage: 'uploaded', ids });
          await sleep(f.retryAfterMs);
          continue;
        }
        if (f.kind === 'refused') {
          // Refused, so not posted; a file Slack no longer knows means uploading again.
          await attempt.record(key, f.error === 'file_not_found' || f.error === 'file_deleted' ? { stage: 'restart' } : { stage: 'uploaded', ids });
          throw refusal(f);
        }
        if (f.kind === 'rate-limited') throw err;
        // No answer: ask Slack before trying again.
        const seen = await confirmShared(t, ids);
        if (seen === 'yes') break;
        if (seen === 'unknown' || tries >= 3) throw err; // the note says "completing": the next attempt asks first
      }
    }
    await attempt.record(key, { stage: 'done', ids });
  }

  /** Is our marked message in the channel (or thread) since `since`? */
  async function marked(t: SlackTarget, marker: string, since: number): Promise<'yes' | 'no' | 'unknown'> {
    try {
      const args = { channel: t.channelId, oldest: String(Math.floor(since / 1000) - 60), include_all_metadata: true, limit: 200 };
      const res = t.threadTs ? await client().conversations.replies({ ...args, ts: t.threadTs }) : await client().conversations.history(args);
      const found = (res.messages ?? []).some((m) => {
        const meta = (m as { metadata?: { event_type?: string; event_payload?: { marker?: string } } }).metadata;
        return meta?.event_type === SLACK_MARKER_EVENT && meta.event_payload?.marker === marker;
      });
      return found ? 'yes' : 'no';
    } catch (err) {
      const f = classify(err);
      if (f.kind === 'refused' && PERMANENT.has(f.error)) {
        throw new DeliveryRefusedError(`I could not check whether it reached the channel (Slack: ${f.error}${f.needed ? `, needs ${f.needed}` : ''}), so I did not post it again. If it is missing, run the command again.`);
      }
      return 'unknown';
    }
  }

  /** A text message (no files), once: marked in its metadata, so a lost answer can be checked. */
  async function postText(t: SlackTarget, key: string, text: string, attempt: DeliveryAttempt): Promise<void> {
    const note = attempt.note<TextNote>(key);
    if (note?.stage === 'done') return;
    const marker = note?.marker ?? randomUUID();
    const since = note?.since ?? Date.now();
    if (note?.stage === 'posting') {
      const seen = await marked(t, marker, since);
      if (seen === 'yes') return attempt.record(key, { ...note, stage: 'done' });
      if (seen === 'unknown') throw new Error('could not ask Slack whether the message was posted');
    }
    for (let tries = 1; ; tries++) {
      await attempt.record(key, { stage: 'posting', marker, since } satisfies TextNote);
      try {
        await once().chat.postMessage({ channel: t.channelId, ...where(t), text, unfurl_links: false, metadata: { event_type: SLACK_MARKER_EVENT, event_payload: { marker } } });
        break;
      } catch (err) {
        const f = classify(err);
        if (f.kind === 'rate-limited' && tries < 5) {
          await sleep(f.retryAfterMs);
          continue;
        }
        if (f.kind === 'refused') throw refusal(f);
        if (f.kind === 'rate-limited') throw err;
        const seen = await marked(t, marker, since);
        if (seen === 'yes') break;
        if (seen === 'unknown' || tries >= 3) throw err;
      }
    }
    await attempt.record(key, { stage: 'done', marker, since } satisfies TextNote);
  }

  return {
    platform: 'slack',
    async progress(t, text) {
      if (t.responseUrl && budget.takeForProgress(t.responseUrl)) await updateNote(t.responseUrl, `⏳ ${escapeSlackText(text)}`);
    },

    async deliverResult(t, result: AnalysisResult, attempt: DeliveryAttempt = localAttempt()) {
      const parts = chunk(result.figures, SLACK_FILES_PER_MESSAGE);
      const n = result.figures.length;
      if (parts.length === 0) {
        await postText(t, 'slack:text', resultComment(result), attempt);
      } else {
        for (const [i, figures] of parts.entries()) {
          const from = i * SLACK_FILES_PER_MESSAGE + 1;
          const range = `figures ${from}–${from + figures.length - 1} of ${n}`;
          const comment = i === 0
            ? parts.length > 1 ? `${resultComment(result)}\n_${range}; the other ${n - figures.length} follow in ${parts.length - 1} more message${parts.length > 2 ? 's' : ''}._` : resultComment(result)
            : `*${escapeSlackText(result.title)}* — ${range}`;
          await postFiles(t, `slack:part:${i}`, figures, comment, attempt);
        }
      }
      // Sent on every attempt that gets here, a resumed one included: the note is replaced, never added.
      if (t.responseUrl && budget.takeFinal(t.responseUrl)) await updateNote(t.responseUrl, `✅ Posted *${escapeSlackText(result.title)}* ${t.threadTs ? 'in the thread' : 'in the channel'}.`);
    },

    async deliverError(t, message) {
      const text = `⚠️ ${escapeSlackText(message)}`;
      if (t.responseUrl && budget.takeFinal(t.responseUrl) && (await updateNote(t.responseUrl, text))) return;
      await client().chat.postEphemeral({ channel: t.channelId, user: t.userId, text, ...(t.threadTs ? { thread_ts: t.threadTs } : {}) });
    },

    async postDigest(t, digest) {
      // To the channel, never a thread: the digest is for everyone who reads there.
      const text = digestMrkdwn(digest);
      const { threadTs: _thread, ...channel } = t;
      const attempt = localAttempt();
      if (digest.figure) await postFiles(channel, 'slack:digest', [digest.figure], text, attempt);
      else await postText(channel, 'slack:digest', text, attempt);
    },
  };
}

/** A digest as mrkdwn, everything escaped: it becomes the headline figure's comment. */
export function digestMrkdwn(d: Digest): string {
  const lines = [`*📬 Post of the week: ${slackLink(d.post.url, d.post.title)}*`, escapeSlackText(d.summary), ''];
  if (d.tryIt) lines.push(`*Try it:* \`${escapeSlackText(d.tryIt.command)}\` — ${escapeSlackText(d.tryIt.why)}`);
  lines.push(`*Discuss:* ${escapeSlackText(d.question)}`, '', `📖 ${slackLink(d.post.url, 'Read the post')} · 📓 ${slackLink(d.post.notebookUrl, 'Notebook')}`);
  const meta = [d.post.sectionTitle, `post ${d.rotation.index} of ${d.rotation.total}`, d.period, ...(d.figureNote ? [d.figureNote] : [])].join(' · ');
  lines.push(`_${escapeSlackText(meta)}_`);
  return lines.join('\n');
}
