// A local stand-in for the Hugging Face Hub that answers the way the real one does, so the
// downloader is tested against the protocol rather than against mocks:
//   HEAD/GET /<org>/<name>/resolve/<revision>/<file>
//     LFS file (*.safetensors): 302 → /cdn/<sha256>/<file>, with X-Repo-Commit, ETag and
//       X-Linked-Etag (the quoted sha256) and X-Linked-Size
//     regular file: 200 with the body, X-Repo-Commit and ETag (the quoted git blob sha1)
//   GET /cdn/<sha256>/<file>: the bytes, with Range support (206 + Content-Range)
// Switches make it misbehave: cut the connection (or go silent) after N bytes once, ignore Range,
// or advertise a wrong sha256. Every request is recorded for assertions.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

interface HostedFile {
  bytes: Buffer;
  sha256: string;
  gitSha1: string;
  lfs: boolean;
}

export interface FakeHubOptions {
  /** Repository id → local directory whose files it serves. */
  repos: Record<string, string>;
  /** When set, resolve URLs answer 401 without `Authorization: Bearer <token>`. */
  token?: string;
  commit?: string;
  /**
   * Host for the CDN redirects (e.g. "localhost"): another origin on the same server, like the
   * real Hub's CDN, so tests can see what crosses origins. Default: a relative redirect.
   */
  cdnHost?: string;
}

export class FakeHub {
  readonly commit: string;
  readonly requests: RecordedRequest[] = [];
  /** Cut the next CDN response after this many body bytes, then clear. */
  cutAfterBytesOnce?: number;
  /** Send this many body bytes of the next CDN response, then go silent (connection left open). */
  stallAfterBytesOnce?: number;
  /** Answer ranged CDN requests with the whole file (200), as some servers do. */
  ignoreRange = false;
  /** Advertise a sha256 that does not match the LFS files' contents. */
  wrongSha256 = false;

  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly files = new Map<string, Map<string, HostedFile>>();
  private readonly blobs = new Map<string, HostedFile>();
  private base = '';

  private constructor(private readonly opts: FakeHubOptions) {
    this.commit = opts.commit ?? createHash('sha1').update('fake-hub-commit').digest('hex');
  }

  static async start(opts: FakeHubOptions): Promise<FakeHub> {
    const hub = new FakeHub(opts);
    for (const [repo, dir] of Object.entries(opts.repos)) {
      const files = new Map<string, HostedFile>();
      for (const name of await fs.readdir(dir)) {
        const bytes = await fs.readFile(path.join(dir, name));
        const file: HostedFile = {
          bytes,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          gitSha1: createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex'),
          lfs: name.endsWith('.safetensors'),
        };
        files.set(name, file);
        hub.blobs.set(file.sha256, file);
      }
      hub.files.set(repo, files);
    }
    await new Promise<void>((resolve) => hub.server.listen(0, '127.0.0.1', resolve));
    hub.base = `http://127.0.0.1:${(hub.server.address() as AddressInfo).port}`;
    return hub;
  }

  get url(): string {
    return this.base;
  }

  private get cdnBase(): string {
    return this.opts.cdnHost ? `http://${this.opts.cdnHost}:${new URL(this.base).port}` : '';
  }

  /** Requests whose path starts with `prefix`. */
  requestsTo(prefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private advertisedSha(file: HostedFile): string {
    return this.wrongSha256 ? createHash('sha256').update('not the file').digest('hex') : file.sha256;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, headers: req.headers });
    const cdn = /^\/cdn\/([0-9a-f]{64})\/(.+)$/.exec(url.pathname);
    if (cdn) return this.serveBlob(req, res, cdn[1]);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!resolve) return this.fail(res, 404, 'RepoNotFound');
    const [, repo, revision, fileName] = resolve;
    if (this.opts.token && req.headers.authorization !== `Bearer ${this.opts.token}`) return this.fail(res, 401, 'GatedRepo');
    const files = this.files.get(repo);
    if (!files) return this.fail(res, 404, 'RepoNotFound');
    if (revision !== 'main' && revision !== this.commit) return this.fail(res, 404, 'RevisionNotFound');
    const file = files.get(decodeURIComponent(fileName));
    if (!file) return this.fail(res, 404, 'EntryNotFound');

    res.setHeader('X-Repo-Commit', this.commit);
    if (file.lfs) {
      const sha = this.advertisedSha(file);
      res.writeHead(302, {
        Location: `${this.cdnBase}/cdn/${file.sha256}/${fileName}`,
        ETag: `"${sha}"`,
        'X-Linked-Etag': `"${sha}"`,
        'X-Linked-Size': String(file.bytes.length),
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    res.writeHead(200, { ETag: `"${file.gitSha1}"`, 'Content-Length': String(file.bytes.length), 'Content-Type': 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : file.bytes);
  }

  private serveBlob(req: http.IncomingMessage, res: http.ServerResponse, sha: string): void {
    const file = this.blobs.get(sha);
    if (!file) return this.fail(res, 404, 'EntryNotFound');
    const size = file.bytes.length;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !this.ignoreRange) {
      start = Number(range[1]);
      if (start >= size) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` });
        res.end();
        return;
      }
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${size - 1}/${size}`, 'Content-Length': String(size - start), 'Accept-Ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'Content-Length': String(size), 'Accept-Ranges': 'bytes', ETag: `"${sha}"` });
    }
    if (req.method === 'HEAD') return void res.end();
    const body = file.bytes.subarray(start);
    const cut = this.cutAfterBytesOnce;
    if (cut !== undefined && cut < body.length) {
      this.cutAfterBytesOnce = undefined;
      // Let the first bytes reach the client, then drop the connection mid-body.
      res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    const stall = this.stallAfterBytesOnce;
    if (stall !== undefined && stall < body.length) {
      this.stallAfterBytesOnce = undefined;
      res.write(body.subarray(0, stall)); // and nothing more until the client gives up
      return;
    }
    res.end(body);
  }

  private fail(res: http.ServerResponse, status: number, code: string): void {
    res.writeHead(status, { 'X-Error-Code': code, 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: code }));
  }
}
