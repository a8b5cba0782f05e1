// The local web playground: a page that behaves like a chat channel and takes the same slash
// commands as Discord and Slack, through the same dispatcher, queue and workers. Everything a
// session sees (what was typed, progress, results, replies, digests) goes through its Redis
// stream (web/deliver.ts); the page follows that stream with Server-Sent Events, so a reload or
// a reconnect replays the session's history instead of losing it.
//
//   POST /api/command {session, text} → parse → dispatch → (worker) → stream → GET /api/events
//
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { footerText } from '../../analyses/report.ts';
import { OptionError } from '../../analyses/types.ts';
import { COMMANDS } from '../../../commands/index.ts';
import { commandCatalog } from '../../commands/catalog.ts';
import { commandOptions } from '../../commands/define.ts';
import { config } from '../../config.ts';
import { listen } from '../../listen.ts';
import { presentModels } from '../../queue/model-presence.ts';
import { createDispatcher, type Dispatcher } from '../../commands/dispatch.ts';
import { CommandTextError, parseSlackText } from '../../commands/slack-text.ts';
import { SLACK_COMMAND } from '../../commands/usage.ts';
import type { ReplyTarget } from '../../queue/jobs.ts';
import type { Logger } from '../../queue/processor.ts';
import type { QueueRuntime } from '../../queue/runtime.ts';
import { INTERNAL_ERROR_TEXT, queuedText } from '../front.ts';
import type { Deliverer } from '../types.ts';
import { appendWebCommand, appendWebReply, createWebDeliverer, readWebEvent, readWebEvents, webStreamKey, type WebEvent, type WebTarget } from './deliver.ts';
import { createEventHub } from './event-hub.ts';

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
/** A session id is made by the page (localStorage) and names a Redis stream: keep it tame. */
const SESSION_RE = /^[A-Za-z0-9_-]{8,64}$/;
/**
 * The longest command the playground takes: the longest text any option accepts (so `/heatmap
 * text:` really takes its 4,000 characters, as /help says) plus room for the command and its
 * other options. One limit per option, stated once: the option's own.
 */
export const COMMAND_MAX = Math.max(0, ...COMMANDS.flatMap((c) => commandOptions(c, config.MODEL).map((o) => (o.type === 'string' ? o.maxLength ?? 0 : 0)))) + 1_000;
/** Largest request body (JSON): COMMAND_MAX characters of 4-byte UTF-8, with room to spare. */
const BODY_LIMIT_KB = Math.ceil((COMMAND_MAX * 4) / 1024) + 4;
/** Events read per stream read; a tab further behind reads again at once. */
const READ_COUNT = 100;
/** How long a tab waits for news before an SSE comment, so that proxies keep the stream open. */
const IDLE_MS = 15_000;

export interface PlaygroundOptions {
  runtime: QueueRuntime;
  port: number;
  host?: string;
  log: Logger;
  /** Deliverers for other platforms (a /job cancel of a job elsewhere); the web one is built here. */
  deliverers?: (target: ReplyTarget) => Deliverer;
  dispatcher?: Dispatcher;
  /**
   * Host names (no port) the page may be reached by, besides localhost, 127.0.0.1, [::1] and
   * `host`: requests naming any other Host are refused, so that a web page elsewhere cannot
   * reach the playground through DNS rebinding.
   */
  allowedHosts?: string[];
}

export interface RunningPlayground {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The page's view of an event: figures become URLs served from the stream entry, not bytes. */
function toClient(session: string, e: WebEvent): Record<string, unknown> {
  const base = { id: e.id, type: e.type, ...(e.requestId ? { requestId: e.requestId } : {}) };
  const figureUrl = (i: number) => `/api/figure/${session}/${encodeURIComponent(e.id)}/${i}`;
  switch (e.type) {
    case 'result': {
      const { figures, data: _data, ...r } = e.result;
      return { ...base, result: { ...r, footer: footerText(e.result), figures: figures.map((f, i) => ({ name: f.name, title: f.title, alt: f.alt, url: figureUrl(i) })) } };
    }
    case 'digest': {
      const { figure, ...d } = e.digest;
      return { ...base, digest: { ...d, ...(figure ? { figure: { name: figure.name, title: figure.title, alt: figure.alt, url: figureUrl(0) } } : {}) } };
    }
    case 'progress':
      return { ...base, text: e.text };
    case 'command':
      return { ...base, text: e.text };
    case 'error':
      return { ...base, message: e.message };
    case 'reply':
      return { ...base, reply: e.reply };
  }
}

/** The host name of a Host header, lower-cased and without its port ("[::1]:3000" → "[::1]"). */
export function hostName(header: string | undefined): string | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:\s]+)(?::\d{1,5})?$/i.exec(header?.trim() ?? '');
  return m?.[1]!.toLowerCase().replace(/\.$/, '');
}

/** Answer an API error as JSON: a sentence for the user, never a stack trace or a server path. */
function sendError(res: Response, status: number, error: string): void {
  if (res.headersSent) return void res.end();
  res.status(status).json({ error });
}

/** The message for a command over COMMAND_MAX characters, in words. */
function tooLong(detail: string): string {
  return `The command is too long: the playground takes at most ${COMMAND_MAX.toLocaleString('en-US')} characters (${detail}).`;
}

/** Parser messages speak Slack's `/lab x`; the playground types `/x`. */
const forPlayground = (message: string) => message.split(`${SLACK_COMMAND} `).join('/');

export async function startPlayground(opts: PlaygroundOptions): Promise<RunningPlayground> {
  const { runtime: rt, log } = opts;
  const streams = { redis: rt.redis, prefix: rt.prefix };
  const web = createWebDeliverer(streams);
  const deliverers = (t: ReplyTarget): Deliverer => {
    if (t.platform === 'web') return web as unknown as Deliverer;
    if (opts.deliverers) return opts.deliverers(t);
    throw new Error(`the playground has no ${t.platform} deliverer`);
  };
  const dispatcher = opts.dispatcher ?? createDispatcher({ runtime: rt, deliverers });
  const openStreams = new Set<Response>();
  // Every open tab waits for news through this hub's one blocking connection.
  const hub = createEventHub(rt.redis, { onError: (err) => log.warn({ err }, 'playground: event reader failed') });
  const allowed = new Set(['localhost', '127.0.0.1', '[::1]', ...(opts.allowedHosts ?? [])].map((h) => h.toLowerCase()));
  if (opts.host && !['0.0.0.0', '::'].includes(opts.host)) allowed.add(opts.host.includes(':') ? `[${opts.host}]` : opts.host.toLowerCase());

  const app = express();
  app.disable('x-powered-by');
  // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 still sends
  // "Host: evil.example". Only the names this server is meant to be reached by get an answer.
  app.use((req, res, next) => {
    const name = hostName(req.headers.host);
    if (name && allowed.has(name)) return next();
    sendError(res, 403, `This playground answers only at ${[...allowed].join(', ')} (the request was for ${JSON.stringify(String(req.headers.host ?? '')).slice(0, 80)}).`);
  });
  app.use(express.json({ limit: `${BODY_LIMIT_KB}kb` }));
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: 0 }));

  app.get('/api/catalog', async (_req, res) => {
    // Models the workers have downloaded, so the model option's suggestions can mark them.
    const models = [...await presentModels(rt).catch(() => new Set<string>())];
    res.json({ commands: commandCatalog(), modelsPresent: models, limits: { commandChars: COMMAND_MAX } });
  });

  app.post('/api/command', async (req: Request, res: Response) => {
    const session = String(req.body?.session ?? '');
    const raw = String(req.body?.text ?? '').trim();
    if (!SESSION_RE.test(session)) return void res.status(400).json({ error: 'session: 8–64 letters, digits, - or _' });
    if (!raw) return void res.status(400).json({ error: 'text: type a command, e.g. /help' });
    if (raw.length > COMMAND_MAX) return void res.status(400).json({ error: tooLong(`this one has ${raw.length.toLocaleString('en-US')}`) });

    const requestId = `web-${randomUUID()}`;
    const target: WebTarget = { platform: 'web', sessionId: session, requestId };
    try {
      await appendWebCommand(streams, target, raw);
      let parsed: ReturnType<typeof parseSlackText>;
      try {
        parsed = parseSlackText(raw.replace(/^\//, ''));
      } catch (err) {
        if (!(err instanceof CommandTextError || err instanceof OptionError)) throw err;
        await web.deliverError(target, forPlayground(err.message));
        return void res.json({ requestId, outcome: 'error' });
      }
      const outcome = await dispatcher.handle({
        requestId,
        command: parsed.command,
        rawOptions: parsed.rawOptions,
        ...(parsed.model ? { model: parsed.model } : {}),
        requester: { platform: 'web', userId: session, userName: 'you' },
        target,
        // Awaited before the job is visible to workers, so "queued" never lands after the result.
        showQueued: (position) => web.progress(target, queuedText(position)),
      });
      if (outcome.kind === 'reply') await appendWebReply(streams, target, outcome.reply);
      else if (outcome.kind === 'error') await web.deliverError(target, outcome.message);
      res.json({ requestId, outcome: outcome.kind });
    } catch (err) {
      log.error({ err, session }, 'playground: command failed');
      await web.deliverError(target, INTERNAL_ERROR_TEXT).catch(() => {});
      res.status(500).json({ requestId, error: INTERNAL_ERROR_TEXT });
    }
  });

  app.get('/api/events', async (req: Request, res: Response) => {
    const session = String(req.query.session ?? '');
    if (!SESSION_RE.test(session)) return void res.status(400).json({ error: 'session: 8–64 letters, digits, - or _' });
    // EventSource resends the last id it saw when it reconnects; a fresh page starts from the beginning.
    let after = String(req.get('last-event-id') ?? req.query.after ?? '0');
    if (!/^(\d+-\d+|0)$/.test(after)) after = '0';

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    openStreams.add(res);
    const closing = new AbortController();
    req.on('close', () => {
      openStreams.delete(res);
      closing.abort();
    });
    const key = webStreamKey(rt.prefix, session);
    try {
      while (!closing.signal.aborted) {
        // The tab's own events, on the shared connection (no blocking there) …
        const events = await readWebEvents(rt.redis, rt.prefix, session, after);
        if (closing.signal.aborted) break;
        for (const e of events) {
          res.write(`id: ${e.id}\ndata: ${JSON.stringify(toClient(session, e))}\n\n`);
          after = e.id;
        }
        if (events.length >= READ_COUNT) continue;
        // … then wait, with every other open tab, on the hub's one blocking reader.
        const news = await hub.waitForNew(key, after, IDLE_MS, closing.signal);
        if (!news && !closing.signal.aborted) res.write(': idle\n\n');
      }
    } catch (err) {
      if (!closing.signal.aborted) {
        log.warn({ err, session }, 'playground: event stream failed');
        res.end();
      }
    }
  });

  app.get('/api/figure/:session/:event/:index', async (req: Request, res: Response) => {
    const session = String(req.params.session);
    const eventId = String(req.params.event);
    const index = Number(req.params.index);
    if (!SESSION_RE.test(session) || !/^\d+-\d+$/.test(eventId) || !Number.isInteger(index) || index < 0) return void res.status(400).end();
    const e = await readWebEvent(rt.redis, rt.prefix, session, eventId);
    const png = e?.type === 'result' ? e.result.figures[index]?.png : e?.type === 'digest' && index === 0 ? e.digest.figure?.png : undefined;
    if (!png) return void res.status(404).type('text/plain').send('This figure has expired: run the command again.');
    // A stream entry never changes: the browser may keep the figure as long as it likes.
    res.set('cache-control', 'private, max-age=86400, immutable').type('image/png').send(png);
  });

  app.use('/api', (_req, res) => sendError(res, 404, 'No such playground API.'));

  // Errors of express itself (the JSON body parser, static files) and of the routes, as JSON.
  app.use((err: Error & { status?: number; statusCode?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? err.statusCode ?? 500;
    if (err.type === 'entity.too.large') return sendError(res, 413, tooLong(`this request was over the playground's ${BODY_LIMIT_KB} KB limit`));
    if (err.type === 'entity.parse.failed') return sendError(res, 400, 'The request body is not valid JSON: send {"session": "…", "text": "/command …"}.');
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') return sendError(res, 415, 'Send the request body as UTF-8 JSON.');
    if (status >= 500) {
      log.error({ err }, 'playground: request failed');
      return sendError(res, 500, INTERNAL_ERROR_TEXT);
    }
    sendError(res, status, status === 404 ? 'Not found.' : 'Bad request.');
  });

  const server: Server = await listen(app, opts.port, opts.host ?? '127.0.0.1', 'the playground');
  const port = (server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '127.0.0.1' ? opts.host : 'localhost';
  return {
    url: `http://${host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      // Event streams never end by themselves: end them, or close() would wait forever.
      for (const res of openStreams) res.end();
      hub.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
