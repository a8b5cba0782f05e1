// /job: a user's recent jobs and their state, and cancelling one's own job — removed from the
// queue while it waits, or stopped at its next stage while it runs (the worker that holds it
// hears the request on a Redis channel and aborts it through BullMQ's cancelJob).
import type { Job } from 'bullmq';
import { literal } from '../analyses/lib/literal.ts';
import type { AnalysisJob, ReplyTarget, Requester } from './jobs.ts';
import { AdmissionControl } from './admission.ts';
import { DeliveryLedger } from './delivery-ledger.ts';
import { QUEUE_KINDS, type QueueKind, type QueueRuntime } from './runtime.ts';

/** How many recent jobs /job remembers per user, and for how long. */
const RECENT_JOBS = 10;
const RECENT_TTL_S = 7 * 86_400;
/** A cancel request outlives any job it can concern. */
const CANCEL_TTL_S = 3_600;

export const CANCELLED_TEXT = 'Cancelled at your request.';

export interface JobRef {
  kind: QueueKind;
  jobId: string;
  requestId: string;
  analysis: string;
  at: number;
}

export type JobStateView = 'waiting' | 'running' | 'retrying' | 'done' | 'failed' | 'cancelled' | 'expired';

export interface JobView {
  ref: JobRef;
  /** What the user types to name it: the last characters of the request id. */
  shortId: string;
  state: JobStateView;
  /** 1 = next to start; waiting jobs only. */
  position?: number;
  /** The last progress stage of a running job, or why a job failed. */
  detail?: string;
}

/** Returned by a processor; /job reads `status` to tell a cancelled job from a delivered one. */
export interface JobOutcome {
  status: 'delivered' | 'cancelled' | 'rejected' | 'failed' | 'already-delivered' | 'delivery-unknown' | 'forwarded';
  cached?: boolean;
}

/** What a running job stores as its BullMQ progress (shown by /job and the dashboard). */
export interface JobProgressData {
  /** "layer 7/12 (58%)" */
  stage: string;
}

export const shortIdOf = (requestId: string): string => requestId.slice(-6);

const recentKey = (rt: QueueRuntime, r: Requester) => rt.key('user-jobs', r.platform, r.userId);
export const cancelKey = (rt: QueueRuntime, requestId: string): string => rt.key('cancel', requestId);
export const cancelChannel = (rt: QueueRuntime): string => rt.key('cancel-requests');

export async function recordUserJob(rt: QueueRuntime, requester: Requester, ref: JobRef): Promise<void> {
  const key = recentKey(rt, requester);
  await rt.redis.multi().lpush(key, JSON.stringify(ref)).ltrim(key, 0, RECENT_JOBS - 1).expire(key, RECENT_TTL_S).exec();
}

async function recentRefs(rt: QueueRuntime, requester: Requester): Promise<JobRef[]> {
  const raw = await rt.redis.lrange(recentKey(rt, requester), 0, RECENT_JOBS - 1);
  const seen = new Set<string>();
  const refs: JobRef[] = [];
  for (const r of raw) {
    const ref = JSON.parse(r) as JobRef;
    if (!seen.has(ref.requestId)) refs.push(ref);
    seen.add(ref.requestId);
  }
  return refs;
}

/** The job for a ref: a cache-hit job whose entry expired is forwarded to an analysis queue under the same id. */
async function findJob(rt: QueueRuntime, ref: JobRef): Promise<{ job: Job<AnalysisJob>; kind: QueueKind } | undefined> {
  const order: QueueKind[] = [ref.kind, ...QUEUE_KINDS.filter((k) => k !== ref.kind)];
  let fallback: { job: Job<AnalysisJob>; kind: QueueKind } | undefined;
  for (const kind of order) {
    const job = await rt.queues[kind].getJob(ref.jobId);
    if (!job) continue;
    if ((job.returnvalue as JobOutcome | null)?.status === 'forwarded') fallback ??= { job, kind };
    else return { job, kind };
  }
  return fallback;
}

async function positionOf(rt: QueueRuntime, kind: QueueKind, jobId: string): Promise<number | undefined> {
  const queue = rt.queues[kind];
  // BullMQ adds to the left of the wait list and workers take from the right: the last is next.
  const waiting = await queue.getWaiting(0, 199);
  const i = waiting.findIndex((j) => j.id === jobId);
  if (i >= 0) return waiting.length - i;
  // A user's second and later jobs are prioritized (fair scheduling): they start after the whole
  // wait list, in priority order.
  const prioritized = await queue.getPrioritized(0, 199);
  const p = prioritized.findIndex((j) => j.id === jobId);
  return p < 0 ? undefined : (await queue.getWaitingCount()) + p + 1;
}

async function view(rt: QueueRuntime, ref: JobRef): Promise<JobView> {
  const base = { ref, shortId: shortIdOf(ref.requestId) };
  const found = await findJob(rt, ref);
  if (!found) return { ...base, state: 'expired' };
  const { job, kind } = found;
  const state = await job.getState();
  const progress = job.progress as JobProgressData | number | undefined;
  switch (state) {
    case 'waiting':
    case 'prioritized':
      return { ...base, state: 'waiting', position: await positionOf(rt, kind, job.id!) };
    case 'delayed':
      return { ...base, state: 'retrying', detail: job.failedReason };
    case 'active':
      return { ...base, state: 'running', ...(typeof progress === 'object' && progress?.stage ? { detail: progress.stage } : {}) };
    case 'completed': {
      const status = (job.returnvalue as JobOutcome | null)?.status;
      if (status === 'cancelled') return { ...base, state: 'cancelled' };
      if (status === 'rejected') return { ...base, state: 'failed', detail: 'bad options' };
      return { ...base, state: 'done' };
    }
    case 'failed':
      return { ...base, state: 'failed', detail: job.failedReason };
    default:
      return { ...base, state: 'expired' };
  }
}

export async function userJobs(rt: QueueRuntime, requester: Requester): Promise<JobView[]> {
  return Promise.all((await recentRefs(rt, requester)).map((ref) => view(rt, ref)));
}

/** One line per job: "`a1b2c3` /attention — running: layer 7/12 (2 min ago)". */
export function describeJob(v: JobView, now = Date.now()): string {
  const ageS = Math.max(0, Math.round((now - v.ref.at) / 1000));
  const age = ageS < 90 ? `${ageS} s ago` : ageS < 5400 ? `${Math.round(ageS / 60)} min ago` : `${Math.round(ageS / 3600)} h ago`;
  const state = v.state === 'waiting' && v.position !== undefined ? `waiting, position ${v.position}` : v.state;
  const detail = v.detail ? `: ${v.detail.slice(0, 120)}` : '';
  return `\`${v.shortId}\` /${v.ref.analysis} — ${state}${detail} (${age})`;
}

export type CancelResult =
  | { kind: 'not-found'; message: string }
  | { kind: 'finished'; message: string }
  | { kind: 'removed'; message: string; view: JobView }
  | { kind: 'stopping'; message: string; view: JobView };

/**
 * Cancel one of the requester's own jobs, named by its short id (or any longer tail of it).
 * `notify` posts the final "cancelled" note on the job's pending message (at most once, through
 * the delivery ledger) when the job is removed before a worker took it.
 */
export async function cancelUserJob(
  rt: QueueRuntime, requester: Requester, id: string,
  notify: (target: ReplyTarget, message: string) => Promise<void>,
): Promise<CancelResult> {
  const wanted = id.trim().replace(/^`|`$/g, '');
  const refs = await recentRefs(rt, requester);
  const ref = wanted.length >= 4 ? refs.find((r) => r.requestId.endsWith(wanted)) : undefined;
  if (!ref) {
    const known = refs.map((r) => `\`${shortIdOf(r.requestId)}\``).join(', ');
    return { kind: 'not-found', message: `None of your recent jobs has the id \`${literal(wanted)}\`.${known ? ` Yours: ${known}.` : ' You have no recent jobs.'}` };
  }
  const job = (await findJob(rt, ref))?.job;
  const current = await view(rt, ref);
  if (!job || ['done', 'failed', 'cancelled', 'expired'].includes(current.state)) {
    return { kind: 'finished', message: `Job \`${current.shortId}\` (/${ref.analysis}) has already finished (${current.state}).` };
  }
  // Ownership is checked on the job itself too, not only on the user's own list.
  const data = job.data;
  if (data.requester.platform !== requester.platform || data.requester.userId !== requester.userId) {
    return { kind: 'not-found', message: `Job \`${current.shortId}\` is not yours to cancel.` };
  }

  if (current.state === 'waiting' || current.state === 'retrying') {
    try {
      await job.remove();
      await new AdmissionControl(rt).refund(data.requestId, data.requester, data.target);
      await new DeliveryLedger(rt).deliverOnce(data.requestId, () => notify(data.target, CANCELLED_TEXT)).catch(() => 'unknown');
      return { kind: 'removed', message: `Cancelled job \`${current.shortId}\` (/${ref.analysis}) before it started.`, view: current };
    } catch {
      // A worker took it between our look and the removal (the job is locked): stop it instead.
    }
  }
  await rt.redis.set(cancelKey(rt, data.requestId), '1', 'EX', CANCEL_TTL_S);
  await rt.redis.publish(cancelChannel(rt), data.requestId);
  return { kind: 'stopping', message: `Stopping job \`${current.shortId}\` (/${ref.analysis}); it stops at its next stage.`, view: current };
}
