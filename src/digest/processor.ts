// What the digest worker does with one job:
//
//   subscription? → period key (scheduled time, subscription's zone) → claim (channel, period):
//   the post, rotation advanced once → headline figure → compose → post at most once → record
//
// However often a period's job runs — a scheduler fired twice, two workers, a retry after a
// crash or a restart — the claim returns the same post and the delivery ledger lets one post
// through. A post that fails releases the ledger and the job retries with the same post.
import { UnrecoverableError, type Job } from 'bullmq';
import type { Analysis, AnalysisResult } from '../analyses/types.ts';
import { findPost, POSTS } from '../catalog/posts.ts';
import type { Deliverer } from '../chat/types.ts';
import type { ThreadJob } from '../queue/analysis-thread.ts';
import { DeliveryLedger, type DeliveryOutcome } from '../queue/delivery-ledger.ts';
import type { ReplyTarget } from '../queue/jobs.ts';
import type { Logger } from '../queue/processor.ts';
import type { QueueRuntime } from '../queue/runtime.ts';
import { composeDigest } from './compose.ts';
import { ROTATION } from './content.ts';
import { headlineFor } from './headline.ts';
import { periodKey } from './period.ts';
import { DigestJobSchema, type DigestJob } from './queue.ts';
import { Rotation } from './rotation.ts';
import { Subscriptions } from './subscriptions.ts';

export interface DigestProcessorDeps {
  runtime: QueueRuntime;
  deliverers: (target: ReplyTarget) => Deliverer;
  /** Runs a headline analysis off the event loop. */
  run: (job: ThreadJob) => Promise<AnalysisResult>;
  log: Logger;
  analyses?: readonly Analysis[];
}

export interface DigestOutcome {
  status: 'posted' | 'already-posted' | 'delivery-unknown' | 'not-subscribed';
  period?: string;
  postId?: string;
}

/** The delivery-ledger id of a channel's digest for a period. */
export const digestDeliveryId = (channel: string, period: string): string => `digest:${channel}:${period}`;

const OUTCOME: Record<DeliveryOutcome, DigestOutcome['status']> = {
  delivered: 'posted',
  'already-delivered': 'already-posted',
  unknown: 'delivery-unknown',
};

export function createDigestProcessor(deps: DigestProcessorDeps) {
  const rt = deps.runtime;
  const subs = new Subscriptions(rt);
  const rotation = new Rotation(rt, ROTATION);
  const ledger = new DeliveryLedger(rt);

  return async function processDigestJob(job: Job<DigestJob>): Promise<DigestOutcome> {
    const data = DigestJobSchema.parse(job.data);
    let target: ReplyTarget;
    let period: string;
    let shownPeriod: string;
    if (data.kind === 'scheduled') {
      const sub = await subs.get(data.channel);
      if (!sub) return { status: 'not-subscribed' };
      target = sub.target;
      // prevMillis is the time the scheduler meant this firing for, whenever the job actually runs.
      period = periodKey(job.opts.prevMillis ?? job.timestamp, sub.schedule);
      shownPeriod = period;
    } else {
      // An extra digest is a period of its own: it advances the rotation but takes no week's slot.
      target = data.target;
      period = `now-${data.requestId}`;
      shownPeriod = `extra, ${new Date(job.timestamp).toISOString().slice(0, 10)}`;
    }
    const deliveryId = digestDeliveryId(data.channel, period);
    const jlog = { jobId: job.id, channel: data.channel, period, attempt: job.attemptsMade + 1 };
    if ((await ledger.state(deliveryId)) === 'done') return { status: 'already-posted', period };

    const deliverer = deps.deliverers(target);
    if (!deliverer.postDigest) throw new UnrecoverableError(`the ${target.platform} deliverer cannot post digests`);

    const claim = await rotation.claim(data.channel, period);
    // A post removed from the catalog since it was claimed: feature the first one instead.
    const post = findPost(claim.postId) ?? POSTS[0]!;
    const headline = await headlineFor(post, { runtime: rt, run: deps.run, log: deps.log, ...(deps.analyses ? { analyses: deps.analyses } : {}) });
    const digest = composeDigest({
      id: deliveryId, post, period: shownPeriod, platform: target.platform, headline,
      rotation: { index: Math.min(claim.index, ROTATION.length), total: ROTATION.length },
      ...(deps.analyses ? { analyses: deps.analyses } : {}),
    });

    // The headline may have taken a while: an unsubscribe in the meantime still wins.
    if (data.kind === 'scheduled' && !(await subs.get(data.channel))) return { status: 'not-subscribed', period };
    const delivery = await ledger.deliverOnce(deliveryId, () => deliverer.postDigest!(target, digest));
    if (delivery === 'delivered') {
      await subs.recordPosted(data.channel, { period: shownPeriod, postId: post.id, title: post.title, at: Date.now() });
      deps.log.info({ ...jlog, post: post.id, figure: digest.figure?.name ?? null }, 'digest posted');
    } else {
      deps.log.info({ ...jlog, post: post.id, delivery }, 'digest for this period was already posted (or is being posted) elsewhere');
    }
    return { status: OUTCOME[delivery], period, postId: post.id };
  };
}
