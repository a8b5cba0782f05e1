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
import express, { type Request, type Response } from 'express';
import { footerText } from '../../analyses/report.ts';
import { OptionError } from '../../analyses/types.ts';
import { commandCatalog } from '../../commands/catalog.ts';
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
import { appendWebCommand, appendWebReply, createWebDeliverer, readWebEvent, readWebEvents, type WebEvent, type WebTarget } from './deliver.ts';

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
/** A session id is made by the page (localStorage) and names a Redis stream: keep it tame. */
const SESSION_RE = /^[A-Za-z0-9_-]{8,64}$/;
const COMMAND_MAX = 2_000;
/** How long one XREAD BLOCK waits; the gap is filled with an SSE comment so proxies keep the stream open. */
const BLOCK_MS = 15_000;

export interface PlaygroundOptions {
  runtime: QueueRuntime;
  port: number;
  host?: string;
  log: Logger;
  /** Deliverers for other platforms (a /job cancel of a job elsewhere); the web one is built here. */
  deliverers?: (target: ReplyTarget) => Deliverer;
  dispatcher?: Dispatcher;
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
  const blockingClients = new Set<{ disconnect(): void }>();

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: 0 }));

  app.get('/api/catalog', async (_req, res) => {
    // Models the workers have downloaded, so the model option's suggestions can mark them.
    const models = [...await presentModels(rt).catch(() => new Set<string>())];
    res.json({ commands: commandCatalog(), modelsPresent: models });
  });

  app.post('/api/command', async (req: Request, res: Response) => {
    const session = String(req.body?.session ?? '');
    const raw = String(req.body?.text ?? '').trim();
    if (!SESSION_RE.test(session)) return void res.status(400).json({ error: 'session: 8–64 letters, digits, - or _' });
    if (!raw) return void res.status(400).json({ error: 'text: type a command, e.g. /help' });
    if (raw.length > COMMAND_MAX) return void res.status(400).json({ error: `text: at most ${COMMAND_MAX} characters` });

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
    // XREAD BLOCK holds its connection, so every open page gets one of its own.
    const reader = rt.redis.duplicate();
    blockingClients.add(reader);
    openStreams.add(res);
    let open = true;
    req.on('close', () => {
      open = false;
      openStreams.delete(res);
      blockingClients.delete(reader);
      reader.disconnect();
    });
    try {
      while (open) {
        const events = await readWebEvents(reader, rt.prefix, session, after, BLOCK_MS);
        if (!open) break;
        if (events.length === 0) res.write(': idle\n\n');
        for (const e of events) {
          res.write(`id: ${e.id}\ndata: ${JSON.stringify(toClient(session, e))}\n\n`);
          after = e.id;
        }
      }
    } catch (err) {
      if (open) {
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

  const server: Server = await listen(app, opts.port, opts.host ?? '127.0.0.1', 'the playground');
  const port = (server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '127.0.0.1' ? opts.host : 'localhost';
  return {
    url: `http://${host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      // Event streams never end by themselves: end them, or close() would wait forever.
      for (const res of openStreams) res.end();
      for (const c of blockingClients) c.disconnect();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
