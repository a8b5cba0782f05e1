// The HTTP plumbing the fake Discord and fake Slack share: a loopback server that parses each
// request body the way the real APIs accept it (JSON, url-encoded form, multipart with files),
// records every request for assertions, and can be told to misbehave on matching requests: answer
// an error (for the next N, or for every one during an outage), act and then lose the answer
// (the connection is cut after the platform did the work), cut without acting, or take its time
// (act at once and answer late, or wait and act only if the client is still there).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface RecordedRequest {
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  /** JSON body, or a multipart request's `payload_json` part. */
  json?: any;
  /** URL-encoded fields, or a multipart request's text parts. */
  form?: Record<string, string>;
  files: RecordedFile[];
  /** The status the fake answered with (set also when the answer was then cut off). */
  status?: number;
  /** The connection was cut instead of answering (after the fake acted, when `status` is set). */
  cut?: boolean;
  /** The client went away before a held request was acted on: nothing happened. */
  abandoned?: boolean;
}

export interface Failure {
  method?: string;
  path: RegExp;
  /** The error status to answer with (not used by `drop` and `hold`). */
  status?: number;
  /**
   * Instead of an error status: 'after' lets the fake act (post the message, share the files)
   * and then cuts the connection, so the client never hears it worked — a lost answer; 'before'
   * cuts it without acting.
   */
  drop?: 'before' | 'after';
  /**
   * Instead of an error status, slowness: 'first' acts at once and answers after `ms`; 'last'
   * waits `ms` and then acts only if the client is still connected (a killed client's request
   * then never happens).
   */
  hold?: { ms: number; act: 'first' | 'last' };
  /** An outage: every matching request until this time (Date.now() ms) fails; `times` is ignored. */
  until?: number;
  /** Seconds; sent as the Retry-After header (and in the body by the caller's `body`). */
  retryAfter?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests fail before the rule is used up. */
  times: number;
  /** Narrow the match further, e.g. to requests that carry files. */
  when?: (req: RecordedRequest) => boolean;
}

export type Handler = (req: RecordedRequest, reply: Reply) => Promise<void> | void;

export class Reply {
  constructor(
    private readonly res: http.ServerResponse,
    private readonly rec: RecordedRequest,
    /** 'cut': the answer is lost (connection destroyed); a number: the answer is sent that late. */
    private readonly mode: 'send' | 'cut' | number = 'send',
  ) {}

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.send(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  send(status: number, body = '', headers: Record<string, string> = {}): void {
    this.rec.status = status;
    if (this.mode === 'cut') {
      this.rec.cut = true;
      this.res.socket?.destroy();
      return;
    }
    const write = () => {
      if (!this.res.destroyed && !this.res.writableEnded) this.res.writeHead(status, headers).end(body);
    };
    if (typeof this.mode === 'number') setTimeout(write, this.mode).unref();
    else write();
  }
}

export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  readonly server: http.Server;
  private failures: Failure[] = [];
  base = '';

  constructor(private readonly handler: Handler) {
    this.server = http.createServer((req, res) => {
      this.dispatch(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      });
    });
    // Clients keep connections alive; don't let that hold close() up.
    this.server.keepAliveTimeout = 1000;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.base;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Misbehave on the next `times` requests matching `path` (and `method`), or on all of them until `until`. */
  fail(f: Omit<Failure, 'times'> & { times?: number }): void {
    this.failures.push({ times: 1, ...f });
  }

  /** Forget the misbehaviours not used up yet. */
  clearFailures(): void {
    this.failures = [];
  }

  /** Requests that match, optionally filtered by method. */
  find(path: RegExp, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => path.test(r.path) && (!method || r.method === method));
  }

  /** Poll the record until `predicate` holds (fakes answer asynchronously to real clients). */
  async waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = predicate();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const rec: RecordedRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      raw: Buffer.concat(chunks),
      files: [],
    };
    await parseBody(rec);
    this.requests.push(rec);
    const reply = new Reply(res, rec);

    const live = (f: Failure) => (f.until !== undefined ? Date.now() < f.until : f.times > 0);
    const failure = this.failures.find((f) => live(f) && f.path.test(rec.path) && (!f.method || f.method === rec.method) && (!f.when || f.when(rec)));
    if (failure) {
      if (failure.until === undefined) failure.times--;
      if (failure.drop === 'before') {
        rec.cut = true;
        res.socket?.destroy();
        return;
      }
      if (failure.drop === 'after') return void (await this.handler(rec, new Reply(res, rec, 'cut')));
      if (failure.hold?.act === 'first') return void (await this.handler(rec, new Reply(res, rec, failure.hold.ms)));
      if (failure.hold?.act === 'last') {
        const gone = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), failure.hold!.ms);
          timer.unref();
          res.once('close', () => {
            clearTimeout(timer);
            resolve(true);
          });
        });
        if (gone) {
          rec.abandoned = true;
          return;
        }
        return void (await this.handler(rec, reply));
      }
      const headers: Record<string, string> = { ...failure.headers };
      if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter);
      const status = failure.status ?? 500;
      reply.json(status, failure.body ?? { message: `injected ${status}` }, headers);
      return;
    }
    await this.handler(rec, reply);
  }
}

async function parseBody(rec: RecordedRequest): Promise<void> {
  const type = rec.headers['content-type'] ?? '';
  if (rec.raw.length === 0) return;
  if (type.startsWith('application/json')) {
    rec.json = JSON.parse(rec.raw.toString('utf8'));
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    rec.form = Object.fromEntries(new URLSearchParams(rec.raw.toString('utf8')));
  } else if (type.startsWith('multipart/form-data')) {
    // The platform's own multipart parser would be stricter than ours; the WHATWG one is exact.
    const form = await new Response(new Uint8Array(rec.raw), { headers: { 'content-type': type } }).formData();
    const parts: [string, FormDataEntryValue][] = [];
    form.forEach((value, field) => parts.push([field, value]));
    rec.form = {};
    for (const [field, value] of parts) {
      if (typeof value === 'string') rec.form[field] = value;
      else rec.files.push({ field, filename: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
    }
    if (rec.form.payload_json) rec.json = JSON.parse(rec.form.payload_json);
  }
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const isPng = (b: Buffer): boolean => b.subarray(0, 8).equals(PNG_SIGNATURE);
