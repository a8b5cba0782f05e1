// The Slack front: a Bolt app answering `/lab <command> key:value …`, over HTTP (signed requests
// on PORT at /slack/events) or Socket Mode (when SLACK_APP_TOKEN is set). Results are posted
// later by a worker through the Slack deliverer.
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type RespondArguments, type SlashCommand } from '@slack/bolt';
import type { AddressInfo } from 'node:net';
import type { CommandOutcome, CommandRequest } from '../../commands/dispatch.ts';
import { INTERNAL_ERROR_TEXT, queuedText, type Log } from '../front.ts';
import { codeSafe } from '../../analyses/lib/literal.ts';
import { errorMrkdwn, escapeSlackText, textReplyMrkdwn } from './mrkdwn.ts';
import type { ParsedCommandText } from '../../commands/slack-text.ts';
import { SLACK_COMMAND } from '../../commands/usage.ts';
import { commandRequest } from './request.ts';
import { slackClientOptions, type SlackWebConfig } from './web.ts';

export const SLACK_EVENTS_PATH = '/slack/events';
/**
 * Slack waits 3 s for the acknowledgement. Dispatch normally answers in milliseconds, and then
 * the ack itself carries the answer; if it is slower than this (a burst of commands, a slow
 * Redis), the ack is a holding note and the answer follows through response_url. Well under
 * the deadline, so the ack stays quick under load, not merely in time.
 */
export const ACK_BUDGET_MS = 100;
/** The ack when dispatch misses ACK_BUDGET_MS; the answer then replaces it through response_url. */
export const HOLDING_NOTE = '⏳ Working on it…';

export const MENTION_REPLY = `I run the notebooks of Mike X Cohen's Substack as commands: \`${SLACK_COMMAND} help\` lists them, \`${SLACK_COMMAND} posts\` shows the catalog.`;

export interface SlackBotOptions extends SlackWebConfig {
  SLACK_BOT_TOKEN: string;
  SLACK_SIGNING_SECRET?: string;
  SLACK_APP_TOKEN?: string;
  PORT: number;
  /** `/lab` text → command and options (throws an error naming the bad option). */
  parse: (text: string) => ParsedCommandText;
  handle: (req: CommandRequest) => Promise<CommandOutcome>;
  log: Log;
  logLevel?: LogLevel;
  /** Defaults to ACK_BUDGET_MS; tests shorten it. */
  ackBudgetMs?: number;
}

export interface RunningSlackBot {
  app: App;
  mode: 'http' | 'socket';
  /** HTTP mode: the port actually listened on (PORT=0 picks a free one). */
  port?: number;
  stop(): Promise<void>;
}

export async function startSlackBot(opts: SlackBotOptions): Promise<RunningSlackBot> {
  const logLevel = opts.logLevel ?? LogLevel.WARN;
  let receiver: HTTPReceiver | SocketModeReceiver;
  if (opts.SLACK_APP_TOKEN) {
    receiver = new SocketModeReceiver({ appToken: opts.SLACK_APP_TOKEN, logLevel, installerOptions: { clientOptions: { slackApiUrl: opts.SLACK_API_URL } } });
  } else if (opts.SLACK_SIGNING_SECRET) {
    // Bolt verifies the v0 signature and refuses timestamps more than 5 minutes off (401).
    receiver = new HTTPReceiver({ signingSecret: opts.SLACK_SIGNING_SECRET, endpoints: SLACK_EVENTS_PATH, logLevel });
  } else {
    throw new Error('Slack needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) besides SLACK_BOT_TOKEN.');
  }

  // No conversation store: nothing here reads context.conversation, and Bolt's default
  // in-memory one adds a middleware step (and a map entry) to every request.
  const app = new App({ token: opts.SLACK_BOT_TOKEN, receiver, logLevel, convoStore: false, clientOptions: slackClientOptions(opts) });
  app.command(SLACK_COMMAND, async ({ command, ack, respond }) => {
    // The first answer is the ack (Slack's 3-second deadline); any later one replaces it
    // through response_url.
    let acked = false;
    const answer = async (msg: SlackAnswer) => {
      if (!acked) {
        acked = true;
        await ack(msg);
      } else {
        await respond({ ...msg, replace_original: true });
      }
    };
    const holding = setTimeout(() => {
      if (!acked) void answer({ response_type: 'ephemeral', text: HOLDING_NOTE }).catch(() => {});
    }, opts.ackBudgetMs ?? ACK_BUDGET_MS);
    // Dispatch shows "queued" (the usual first answer) before the job is visible to workers.
    let queuedShown = false;
    const outcome = await dispatch(command, opts, (position) => {
      queuedShown = true;
      return answer(queuedNote(position, command));
    });
    clearTimeout(holding);
    if (!(outcome.kind === 'queued' && queuedShown)) await answer(slackAnswer(outcome, command));
  });
  // "@substack-lab" in a channel: point to the command, in the thread of the mention.
  app.event('app_mention', async ({ event, say }) => {
    await say({ text: MENTION_REPLY, thread_ts: event.thread_ts ?? event.ts });
  });
  app.error(async (err) => opts.log.error({ err }, 'slack: listener failed'));

  if (receiver instanceof HTTPReceiver) {
    const server = await app.start(opts.PORT);
    const port = (server.address() as AddressInfo).port;
    opts.log.info({ port, path: SLACK_EVENTS_PATH }, 'slack: listening for signed requests');
    return { app, mode: 'http', port, stop: () => app.stop().then(() => undefined) };
  }
  await app.start();
  opts.log.info({}, 'slack: connected in Socket Mode');
  const socket = receiver.client;
  // Bolt's stop() returns before the close handshake ends; wait for it, so shutdown is clean.
  return { app, mode: 'socket', stop: () => socket.disconnect() };
}

/** Parse and dispatch; never rejects, so the user always gets an answer. */
async function dispatch(command: SlashCommand, opts: SlackBotOptions, showQueued: (position: number) => Promise<void>): Promise<CommandOutcome> {
  let parsed: ParsedCommandText;
  try {
    parsed = opts.parse(command.text);
  } catch (err) {
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  const request: CommandRequest = {
    ...commandRequest(command, parsed),
    showQueued: (position) => showQueued(position).catch((err: unknown) => opts.log.warn({ err }, 'slack: could not show the queued note')),
  };
  try {
    return await opts.handle(request);
  } catch (err) {
    opts.log.error({ err, command: parsed.command }, 'slack: dispatch failed');
    return { kind: 'error', message: INTERNAL_ERROR_TEXT };
  }
}

type SlackAnswer = RespondArguments & { text: string };

const threadOf = (command: SlashCommand) => (command as SlashCommand & { thread_ts?: string }).thread_ts;

function queuedNote(position: number, command: SlashCommand): SlackAnswer {
  // The user's text in a code span: escaped, and without backticks that could end it early.
  const asked = escapeSlackText(codeSafe(`${command.command} ${command.text}`.trim()));
  const where = threadOf(command) ? 'this thread' : 'this channel';
  return { response_type: 'ephemeral', text: `⏳ \`${asked}\` ${queuedText(position)}. The result will be posted in ${where}.` };
}

export function slackAnswer(outcome: CommandOutcome, command: SlashCommand): SlackAnswer {
  switch (outcome.kind) {
    case 'queued':
      return queuedNote(outcome.position, command);
    case 'reply':
      return { response_type: outcome.ephemeral ? 'ephemeral' : 'in_channel', text: textReplyMrkdwn(outcome.reply) };
    case 'error':
      return { response_type: 'ephemeral', text: `⚠️ ${errorMrkdwn(outcome.message)}` };
  }
}
