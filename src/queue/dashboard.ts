// The queue dashboard: Bull Board over the three analysis queues (and any extra queues passed in),
// behind HTTP basic auth. It refuses to start without DASHBOARD_PASSWORD: the board can retry,
// promote and delete jobs, so it is never open.
//   node --import tsx src/queue/dashboard.ts     (docker-compose service "dashboard")
import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type RequestHandler } from 'express';
import { config } from '../config.ts';
import { digestQueue } from '../digest/queue.ts';
import { listen } from '../listen.ts';
import { openRuntime, type QueueRuntime } from './runtime.ts';

export interface DashboardOptions {
  runtime: QueueRuntime;
  user: string;
  password: string | undefined;
  /** More queues to show (the digest scheduler's, for instance). */
  extraQueues?: Queue[];
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Limits on wrong passwords per client address (tests shorten them). */
  throttle?: Partial<ThrottleOptions>;
}

export interface ThrottleOptions {
  /** Wrong attempts allowed from one address before it is locked out. */
  maxFailures: number;
  /** The first lockout; each further wrong attempt after it doubles the next one. */
  lockMs: number;
  /** The longest lockout. */
  maxLockMs: number;
  /** Failures older than this (with none since) are forgotten. */
  windowMs: number;
}

/** 5 wrong passwords, then locked for 1 min, 2, 4, … up to an hour: ~ 30 guesses a day at most. */
export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 5, lockMs: 60_000, maxLockMs: 3_600_000, windowMs: 3_600_000 };
/** Addresses remembered at most (the oldest are dropped first), so a flood cannot grow memory. */
const MAX_TRACKED = 10_000;

interface Failures {
  count: number;
  last: number;
  lockedUntil: number;
}

/**
 * Failed logins per client address: after `maxFailures` wrong attempts every request from that
 * address is refused with 429 (and Retry-After) until the lockout ends, right password or not —
 * so guessing cannot go on in the background; each wrong attempt after a lockout doubles the
 * next. A right password resets the address.
 */
export class AuthThrottle {
  private readonly opts: ThrottleOptions;
  private readonly byAddress = new Map<string, Failures>();

  constructor(opts: Partial<ThrottleOptions> = {}, private readonly now: () => number = Date.now) {
    this.opts = { ...DEFAULT_THROTTLE, ...opts };
  }

  /** Milliseconds until `address` may try again (0: now). */
  retryAfterMs(address: string): number {
    const f = this.current(address);
    return f ? Math.max(0, f.lockedUntil - this.now()) : 0;
  }

  failed(address: string): void {
    const t = this.now();
    const f = this.current(address) ?? { count: 0, last: t, lockedUntil: 0 };
    f.count++;
    f.last = t;
    const over = f.count - this.opts.maxFailures;
    if (over >= 0) f.lockedUntil = t + Math.min(this.opts.maxLockMs, this.opts.lockMs * 2 ** Math.min(over, 30));
    this.byAddress.delete(address); // re-insert: the map stays ordered by last failure
    this.byAddress.set(address, f);
    if (this.byAddress.size > MAX_TRACKED) this.byAddress.delete(this.byAddress.keys().next().value!);
  }

  succeeded(address: string): void {
    this.byAddress.delete(address);
  }

  private current(address: string): Failures | undefined {
    const f = this.byAddress.get(address);
    if (f && this.now() - f.last > this.opts.windowMs && this.now() >= f.lockedUntil) {
      this.byAddress.delete(address);
      return undefined;
    }
    return f;
  }
}

/** Compare secrets in constant time, so response timing does not leak how much of a guess was right. */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function basicAuth(user: string, password: string, realm = 'substack-lab queues', throttle: AuthThrottle = new AuthThrottle()): RequestHandler {
  return (req, res, next) => {
    // The socket's address, not X-Forwarded-For: a client could write any address there.
    const address = req.socket.remoteAddress ?? 'unknown';
    const waitMs = throttle.retryAfterMs(address);
    if (waitMs > 0) {
      const s = Math.ceil(waitMs / 1000);
      res.setHeader('Retry-After', String(s));
      res.status(429).type('text/plain').send(`Too many wrong passwords from this address; try again in ${s} s.`);
      return;
    }
    const header = req.headers.authorization ?? '';
    const [scheme, encoded] = header.split(' ');
    if (scheme?.toLowerCase() === 'basic' && encoded) {
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // Evaluate both comparisons, whatever the first says.
      const userOk = same(decoded.slice(0, colon), user);
      const passOk = same(decoded.slice(colon + 1), password);
      if (colon >= 0 && userOk && passOk) {
        throttle.succeeded(address);
        return next();
      }
    }
    // A request without credentials is the browser asking for the login prompt, not a guess.
    if (header) throttle.failed(address);
    res.setHeader('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
    res.status(401).send('Authentication required');
  };
}

export function createDashboardApp(opts: DashboardOptions): express.Express {
  if (!opts.password) {
    throw new Error('DASHBOARD_PASSWORD is not set: the queue dashboard can delete and retry jobs, so it does not start without a password');
  }
  const board = new ExpressAdapter();
  board.setBasePath('/');
  createBullBoard({
    queues: [...Object.values(opts.runtime.queues), ...(opts.extraQueues ?? [])].map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'substack-lab' } },
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(basicAuth(opts.user, opts.password, undefined, new AuthThrottle(opts.throttle)));
  app.use('/', board.getRouter());
  return app;
}

export async function startDashboard(opts: DashboardOptions & { port: number }): Promise<{ server: Server; port: number }> {
  const app = createDashboardApp(opts);
  // Localhost unless told otherwise: the dashboard can remove jobs, so it is not for the network.
  const server = await listen(app, opts.port, opts.host ?? '127.0.0.1', 'the dashboard');
  return { server, port: (server.address() as AddressInfo).port };
}

async function main(): Promise<void> {
  const runtime = openRuntime();
  try {
    const { port } = await startDashboard({
      runtime, user: config.DASHBOARD_USER, password: config.DASHBOARD_PASSWORD, port: config.DASHBOARD_PORT, host: config.DASHBOARD_HOST,
      extraQueues: [digestQueue(runtime)],
    });
    console.log(`Queue dashboard on http://localhost:${port}/ (user ${config.DASHBOARD_USER}, prefix ${runtime.prefix})`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    await runtime.close();
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
