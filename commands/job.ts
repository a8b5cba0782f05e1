// /job — your recent jobs and their state; `/job id:<id> cancel:true` cancels one of yours.
import { z } from 'zod';
import { literal } from '../src/analyses/lib/literal.ts';
import { OptionError } from '../src/analyses/types.ts';
import { defineTextCommand } from '../src/commands/define.ts';
import { invocation } from '../src/commands/usage.ts';
import { cancelUserJob, describeJob, userJobs } from '../src/queue/job-status.ts';

export default defineTextCommand({
  name: 'job',
  description: 'Status of your recent jobs, or cancel one of yours',
  options: z.object({
    id: z.string().min(4).max(64).optional().describe('The job id /job shows (its last characters are enough)'),
    cancel: z.boolean().optional().describe('Cancel this job (waiting ones are removed, running ones stop)'),
  }).strict(),
  ephemeral: true,
  async execute({ id, cancel }, ctx) {
    const platform = ctx.requester.platform;
    if (cancel) {
      if (!id) throw new OptionError('id', `required with cancel:true — \`${invocation(platform, 'job')}\` lists your jobs and their ids`);
      const r = await cancelUserJob(ctx.runtime, ctx.requester, id, (target, message) => ctx.deliverers(target).deliverError(target, message));
      return { title: 'Cancel', text: r.message };
    }
    const jobs = await userJobs(ctx.runtime, ctx.requester);
    const shown = id ? jobs.filter((j) => j.ref.requestId.endsWith(id.trim())) : jobs;
    if (shown.length === 0) {
      return { title: 'Your jobs', text: id ? `None of your recent jobs has the id \`${literal(id)}\`.` : 'You have no recent jobs.' };
    }
    const lines = shown.map((j) => `• ${describeJob(j)}`);
    if (shown.some((j) => j.state === 'waiting' || j.state === 'running' || j.state === 'retrying')) {
      lines.push('', `Cancel one with \`${invocation(platform, 'job', `id:${shown[0]!.shortId} cancel:true`)}\`.`);
    }
    return { title: 'Your jobs', text: lines.join('\n') };
  },
});
