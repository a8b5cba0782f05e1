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
}

/** Compare secrets in constant time, so response timing does not leak how much of a guess was right. */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function basicAuth(user: string, password: string, realm = 'substack-lab queues'): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const [scheme, encoded] = header.split(' ');
    if (scheme?.toLowerCase() === 'basic' && encoded) {
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // Evaluate both comparisons, whatever the first says.
      const userOk = same(decoded.slice(0, colon), user);
      const passOk = same(decoded.slice(colon + 1), password);
      if (colon >= 0 && userOk && passOk) return next();
    }
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
  app.use(basicAuth(opts.user, opts.password));
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
