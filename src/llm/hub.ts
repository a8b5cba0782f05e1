// Downloads from the Hugging Face Hub (DESIGN.md §4), speaking the protocol huggingface_hub does:
// a HEAD on `<endpoint>/<repo>/resolve/<revision>/<file>` gives the commit (X-Repo-Commit), the
// file's ETag — for LFS files its sha256, on a 302 to the CDN as X-Linked-Etag with X-Linked-Size —
// and then a GET fetches it. Files land in huggingface_hub's cache layout (hf-cache.ts).
//
// Robustness: bytes go to `<blob>.incomplete`; a cut or stalled connection is retried with backoff
// and resumed with `Range: bytes=N-` (a server that answers 200 instead of 206 restarts the file);
// LFS files are checked against their sha256 (regular files against their git blob sha1) before
// they enter the cache, and a mismatch deletes the partial file. A lock file keeps two pulls of
// the same blob from writing into one another.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CHECKPOINT_FILES, findKnownModel, unknownModelError } from '../../models/registry.ts';
import { config } from '../config.ts';
import { blobPath, defaultCacheDir, isCommitHash, refPath, snapshotDir } from './hf-cache.ts';

export interface PullProgress {
  file: string;
  /** Bytes on disk so far (a resumed download starts above 0). */
  downloaded: number;
  /** File size, when the server says. */
  total?: number;
  /** `cached`: already in the cache, nothing downloaded; `retry`: an attempt failed, see `message`. */
  phase: 'download' | 'retry' | 'verify' | 'cached' | 'done';
  message?: string;
}

export interface PullOptions {
  endpoint?: string;
  /** Cache root (default `$HF_HOME/hub`, else MODELS_DIR). */
  cacheDir?: string;
  revision?: string;
  /** Bearer token for gated/private repos (default HF_TOKEN). */
  token?: string;
  onProgress?: (p: PullProgress) => void;
  /** Extra attempts after a cut connection or a 5xx (default 5). */
  retries?: number;
  /** First backoff delay; doubles each retry (default 1000 ms). */
  retryDelayMs?: number;
  /** Abort an attempt when no bytes arrive for this long (default 60 s). */
  stallTimeoutMs?: number;
}

export interface PulledFile {
  file: string;
  size: number;
  etag: string;
  /** False when the blob was already in the cache. */
  downloaded: boolean;
}

export interface PullResult {
  repo: string;
  commit: string;
  /** The snapshot directory: a loadable checkpoint. */
  dir: string;
  files: PulledFile[];
}

/** An error that retrying cannot fix (404, 401, a hash mismatch). */
export class HubError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubError';
  }
}

/** A failure worth another attempt (connection cut, stall, 5xx, 429). */
class RetryableError extends Error {}

interface FileMetadata {
  commit: string;
  etag: string;
  size?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function normalizeEtag(raw: string | null): string | undefined {
  // Weak ETags (W/"…") come from compressing proxies; the value is what matters.
  return raw?.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

function describeStatus(status: number, what: string, hasToken: boolean): HubError | RetryableError {
  if (status === 401 || status === 403) {
    return new HubError(`${what}: access denied (HTTP ${status}); ${hasToken ? 'check that HF_TOKEN grants access to this repository' : 'the repository may be gated or private: set HF_TOKEN'}`);
  }
  if (status === 404) return new HubError(`${what}: not found (HTTP 404); check the repository, revision and file name`);
  if (status === 429 || status >= 500) return new RetryableError(`${what}: HTTP ${status}`);
  return new HubError(`${what}: unexpected HTTP ${status}`);
}

class HubClient {
  private readonly endpoint: string;
  private readonly origin: string;

  constructor(
    endpoint: string,
    private readonly token: string | undefined,
    private readonly stallTimeoutMs: number,
  ) {
    this.endpoint = endpoint.replace(/\/+$/, '');
    this.origin = new URL(this.endpoint).origin;
  }

  resolveUrl(repo: string, revision: string, file: string): string {
    return `${this.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** The token only ever goes to the Hub itself, never to the CDN it redirects to. */
  private headers(url: string, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': 'substack-lab', ...extra };
    if (this.token && new URL(url).origin === this.origin) h.authorization = `Bearer ${this.token}`;
    return h;
  }

  /** HEAD the resolve URL, following the Hub's own (same-origin) redirects but not the CDN one. */
  async metadata(url: string, what: string): Promise<FileMetadata> {
    for (let hops = 0; hops < 10; hops++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'HEAD',
          redirect: 'manual',
          headers: this.headers(url, { 'accept-encoding': 'identity' }),
          signal: AbortSignal.timeout(this.stallTimeoutMs),
        });
      } catch (err) {
        // A host name that does not resolve will not resolve in a second either: say so now.
        if ((err as { cause?: { code?: string } }).cause?.code === 'ENOTFOUND') {
          throw new HubError(`${what}: the host ${new URL(url).hostname} does not resolve (ENOTFOUND); check your network or HF_ENDPOINT`);
        }
        throw new RetryableError(`${what}: ${(err as Error).message}${causeOf(err)}`);
      }
      const linkedEtag = normalizeEtag(res.headers.get('x-linked-etag'));
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && !linkedEtag) {
        const next = new URL(location, url);
        if (next.origin === this.origin) {
          url = next.href; // renamed repository (gpt2 → openai-community/gpt2) and the like
          continue;
        }
      } else if (res.status >= 400) {
        throw describeStatus(res.status, what, !!this.token);
      }
      const commit = res.headers.get('x-repo-commit');
      const etag = linkedEtag ?? normalizeEtag(res.headers.get('etag'));
      // Both become path components in the cache: accept only what the Hub sends (hex hashes).
      if (commit && !/^[0-9a-f]{40}$/.test(commit)) throw new HubError(`${what}: X-Repo-Commit "${commit}" is not a commit hash`);
      if (etag && !/^[0-9A-Za-z_-]{1,128}$/.test(etag)) throw new HubError(`${what}: ETag "${etag}" cannot name a cache file`);
      const sizeHeader = res.headers.get('x-linked-size') ?? (res.status < 300 ? res.headers.get('content-length') : null);
      if (!commit || !etag) {
        throw new HubError(`${what}: the server at ${this.endpoint} did not send X-Repo-Commit and ETag; is HF_ENDPOINT a Hugging Face Hub?`);
      }
      return { commit, etag, size: sizeHeader ? Number(sizeHeader) : undefined };
    }
    throw new HubError(`${what}: too many redirects`);
  }

  /** GET, following redirects hop by hop so each hop gets its own headers (no token to the CDN). */
  private async getFollowingRedirects(url: string, extra: Record<string, string>, signal: AbortSignal, what: string): Promise<Response> {
    for (let hops = 0; hops < 10; hops++) {
      const res = await fetch(url, { headers: this.headers(url, extra), redirect: 'manual', signal });
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return res;
      await res.body?.cancel();
      url = new URL(location, url).href;
    }
    throw new HubError(`${what}: too many redirects`);
  }

  /**
   * One attempt to bring `partial` up to the full file, appending from where it stops.
   * Throws RetryableError when the connection ends early.
   */
  async downloadOnce(url: string, partial: string, size: number | undefined, what: string, progress: (n: number) => void): Promise<void> {
    let have = (await fs.stat(partial).catch(() => undefined))?.size ?? 0;
    if (size !== undefined && have > size) have = 0; // not ours to trust: start over
    if (size !== undefined && have === size) return;
    const controller = new AbortController();
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const armStallTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, this.stallTimeoutMs);
    };
    armStallTimer();
    const extra: Record<string, string> = { 'accept-encoding': 'identity' };
    if (have > 0) extra.range = `bytes=${have}-`;
    let fh: fs.FileHandle | undefined;
    let offset = 0;
    try {
      const res = await this.getFollowingRedirects(url, extra, controller.signal, what);
      if (res.status === 416 && have > 0) {
        await fs.rm(partial, { force: true }); // the server disagrees about what we have
        throw new RetryableError(`${what}: the server refused to resume at byte ${have}; restarting`);
      }
      if (!res.ok) throw describeStatus(res.status, what, !!this.token);
      if (res.status === 206) {
        const start = Number(/^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1]);
        if (start !== have) {
          await res.body?.cancel();
          await fs.rm(partial, { force: true });
          throw new RetryableError(`${what}: the server resumed at byte ${start}, not ${have}; restarting`);
        }
        offset = have;
      }
      // 200 to a ranged request: the server ignored Range and sends the whole file again.
      fh = await fs.open(partial, offset > 0 ? 'a' : 'w');
      progress(offset);
      const reader = res.body?.getReader();
      while (reader) {
        const { done, value: chunk } = await reader.read();
        if (done) break;
        armStallTimer();
        for (let n = 0; n < chunk.byteLength; ) n += (await fh.write(chunk, n, chunk.byteLength - n)).bytesWritten;
        offset += chunk.byteLength;
        progress(offset);
      }
      if (size !== undefined && offset < size) throw new RetryableError(`${what}: connection ended at byte ${offset} of ${size}`);
      if (size !== undefined && offset > size) {
        await fh.close();
        fh = undefined;
        await fs.rm(partial, { force: true });
        throw new HubError(`${what}: received ${offset} bytes but the Hub announced ${size}`);
      }
    } catch (err) {
      if (err instanceof HubError || err instanceof RetryableError) throw err;
      const reason = stalled ? `no data for ${this.stallTimeoutMs / 1000} s` : `${(err as Error).message}${causeOf(err)}`;
      const where = offset > 0 ? ` at byte ${offset}${size !== undefined ? ` of ${size}` : ''}` : '';
      throw new RetryableError(`${what}: connection lost${where} (${reason})`);
    } finally {
      clearTimeout(timer);
      await fh?.close();
    }
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { message?: string; code?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message})` : '';
}

/** The hash an ETag stands for: sha256 for LFS files, git's blob sha1 for regular ones. */
async function verifyEtag(file: string, etag: string, what: string): Promise<void> {
  let hash;
  let kind: string;
  if (/^[0-9a-f]{64}$/.test(etag)) {
    hash = createHash('sha256');
    kind = 'sha256';
  } else if (/^[0-9a-f]{40}$/.test(etag)) {
    hash = createHash('sha1').update(`blob ${(await fs.stat(file)).size}\0`);
    kind = 'git sha1';
  } else {
    return; // an ETag that is no content hash (a mirror's): nothing to check against
  }
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  const got = hash.digest('hex');
  if (got !== etag) {
    await fs.rm(file, { force: true });
    throw new HubError(`${what}: ${kind} mismatch — the Hub says ${etag}, the download is ${got}; the partial file was deleted, run the pull again`);
  }
}

/** An exclusive lock on a blob's download; a lock left by a dead process is taken over. */
async function lockBlob(lockFile: string, what: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await fs.open(lockFile, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => fs.rm(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await fs.readFile(lockFile, 'utf8').catch(() => ''));
      let alive = false;
      try {
        alive = Number.isInteger(pid) && pid > 0 && process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (alive) throw new HubError(`${what}: another pull (process ${pid}) is downloading this file; wait for it, or delete ${lockFile} if it is gone`);
      await fs.rm(lockFile, { force: true });
    }
  }
  throw new HubError(`${what}: could not take the download lock ${lockFile}`);
}

/** Point `snapshots/<commit>/<file>` at the blob: a relative symlink, or a copy where links fail. */
async function linkIntoSnapshot(blob: string, target: string): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.rm(target, { force: true });
  try {
    await fs.symlink(path.relative(path.dirname(target), blob), target);
  } catch {
    await fs.copyFile(blob, target);
  }
}

/** Download `files` of a Hub repository into the cache; every file comes from one commit. */
export async function pullRepoFiles(repo: string, files: string[], opts: PullOptions = {}): Promise<PullResult> {
  const {
    endpoint = config.HF_ENDPOINT,
    cacheDir = defaultCacheDir(),
    revision = 'main',
    token = config.HF_TOKEN,
    onProgress = () => {},
    retries = 5,
    retryDelayMs = 1000,
    stallTimeoutMs = 60_000,
  } = opts;
  const client = new HubClient(endpoint, token, stallTimeoutMs);
  let commit = isCommitHash(revision) ? revision : undefined;
  const pulled: PulledFile[] = [];

  const withRetries = async <T>(file: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        if (attempt >= retries) throw new HubError(`${err.message} (gave up after ${retries + 1} attempts)`);
        const delay = retryDelayMs * 2 ** attempt;
        onProgress({ file, downloaded: 0, phase: 'retry', message: `${err.message}; retrying in ${delay / 1000} s (${attempt + 1}/${retries})` });
        await sleep(delay);
      }
    }
  };

  for (const file of files) {
    const what = `${repo}/${file}`;
    // After the first file, ask for the commit itself so a push to main mid-pull cannot mix versions.
    const url = client.resolveUrl(repo, commit ?? revision, file);
    const meta = await withRetries(file, () => client.metadata(url, what));
    if (commit && meta.commit !== commit) {
      throw new HubError(`${what}: the Hub answered for commit ${meta.commit}, expected ${commit}`);
    }
    commit = meta.commit;
    const blob = blobPath(cacheDir, repo, meta.etag);
    const size = meta.size;
    const existing = await fs.stat(blob).catch(() => undefined);
    const cached = existing !== undefined && (size === undefined || existing.size === size);
    if (cached) {
      onProgress({ file, downloaded: existing.size, total: size, phase: 'cached' });
    } else {
      await fs.mkdir(path.dirname(blob), { recursive: true });
      const release = await lockBlob(`${blob}.lock`, what);
      try {
        const partial = `${blob}.incomplete`;
        await withRetries(file, () =>
          client.downloadOnce(url, partial, size, what, (n) => onProgress({ file, downloaded: n, total: size, phase: 'download' })),
        );
        onProgress({ file, downloaded: size ?? 0, total: size, phase: 'verify' });
        await verifyEtag(partial, meta.etag, what);
        await fs.rename(partial, blob);
      } finally {
        await release();
      }
    }
    await linkIntoSnapshot(blob, path.join(snapshotDir(cacheDir, repo, commit), file));
    const finalSize = (await fs.stat(blob)).size;
    onProgress({ file, downloaded: finalSize, total: finalSize, phase: 'done' });
    pulled.push({ file, size: finalSize, etag: meta.etag, downloaded: !cached });
  }
  if (!commit) throw new HubError(`${repo}: no files requested`);
  // The ref moves only once the whole snapshot is there, so resolution never sees half a model.
  if (!isCommitHash(revision)) {
    const ref = refPath(cacheDir, repo, revision);
    await fs.mkdir(path.dirname(ref), { recursive: true });
    await fs.writeFile(ref, commit);
  }
  return { repo, commit, dir: snapshotDir(cacheDir, repo, commit), files: pulled };
}

/** Pull a known model (gpt2, gpt2-medium, …, distilgpt2, bert-base-uncased, …) by name or Hub repository id. */
export async function pullModel(name: string, opts: PullOptions = {}): Promise<PullResult> {
  const model = findKnownModel(name);
  if (!model) throw unknownModelError(name, 'pull');
  if (!model.repo) throw new HubError(`${model.name} is generated locally, not downloaded: it is created on first use (or with \`npx lab models tiny\`)`);
  return pullRepoFiles(model.repo, model.files ?? CHECKPOINT_FILES, opts);
}
