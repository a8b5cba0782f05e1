// Job payloads: one module that both producers (chat fronts, playground, CLI) and consumers
// (workers) import. Validated with zod where they enter the queue and where a worker takes them.
import { z } from 'zod';

/** Where a result goes. Everything needed to reply travels with the job. */
export const ReplyTargetSchema = z.discriminatedUnion('platform', [
  z.object({
    platform: z.literal('discord'),
    applicationId: z.string(),
    interactionId: z.string(),
    /** Valid for 15 minutes after the interaction; later results go to the channel. */
    interactionToken: z.string(),
    tokenExpiresAt: z.number(),
    channelId: z.string(),
    guildId: z.string().optional(),
    /** The interaction's `attachment_size_limit` in bytes (per file); absent → 8 MiB. */
    attachmentSizeLimit: z.number().int().positive().optional(),
  }),
  z.object({
    platform: z.literal('slack'),
    teamId: z.string().optional(),
    channelId: z.string(),
    /** Set when the command was used in a thread: the result goes there. */
    threadTs: z.string().optional(),
    userId: z.string(),
    /** Slash-command response_url: used to update the ephemeral "queued" note. */
    responseUrl: z.string().optional(),
  }),
  z.object({
    platform: z.literal('web'),
    /** The playground page (browser tab) that asked. */
    sessionId: z.string(),
    /** The playground command this answers, so the page shows progress and result under it. */
    requestId: z.string().optional(),
  }),
]);
export type ReplyTarget = z.infer<typeof ReplyTargetSchema>;

export const RequesterSchema = z.object({
  platform: z.enum(['discord', 'slack', 'web']),
  userId: z.string(),
  userName: z.string().optional(),
  /**
   * Set by a front that knows it from the command itself (Discord: the member's Manage Channels
   * or Manage Server permission in this channel). Absent means "not known here", not "no".
   */
  channelAdmin: z.boolean().optional(),
});
export type Requester = z.infer<typeof RequesterSchema>;

/** The payload of an analysis job. Options are already validated against the analysis schema. */
export const AnalysisJobSchema = z.object({
  /** Idempotency key: the platform's interaction/command id. A retried job never posts twice. */
  requestId: z.string().min(1),
  analysis: z.string(),
  options: z.record(z.string(), z.unknown()),
  model: z.string().optional(),
  requester: RequesterSchema,
  target: ReplyTargetSchema,
  enqueuedAt: z.number(),
});
export type AnalysisJob = z.infer<typeof AnalysisJobSchema>;
