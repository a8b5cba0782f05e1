// Book text for /zipf. A Project Gutenberg book by ID comes from the local corpus directory,
// else from the download cache, else from Gutenberg itself (and is then cached); a chat
// attachment arrives as a URL to a .txt; the CLI may name a local file. Every source goes
// through the same size limit and normalisation (BOM stripped, CRLF → LF), so that a book
// counts the same whichever copy of it was read.
import { createHash } from 'node:crypto';
import dns from 'node:dns/promises';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { config } from '../config.ts';
import { pruneBookCache, touchCacheFile } from './lib/book-cache.ts';

/** Largest text accepted from any source (the longest Gutenberg novels are about 3.3 MB). */
export const MAX_TEXT_BYTES = 5 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 3;

export interface BookText {
  /** Gutenberg ID; null for text from a URL or a file. */
  id: number | null;
  title: string;
  /** Normalised text: no BOM, LF line endings. */
  text: string;
  source: 'corpus' | 'cache' | 'download' | 'url' | 'file';
  /** SHA-256 of the normalised text (keys the count cache). */
  sha256: string;
  /** What normalisation removed: a leading byte-order mark, and the CRs of CRLF line ends. */
  stripped: { bom: boolean; carriageReturns: number };
}

/** A problem the user fixes by choosing other input (unknown book, empty or oversized text). */
export class TextSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TextSourceError';
  }
}

/**
 * The network failed, not the user: a timeout, a reset connection, a 5xx. Transient, so a job
 * meeting it is retried; never reported as a bad option.
 */
export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** The host does not resolve (or refuses): retrying the same URL cannot help, so jobs stop at once. */
export class UnreachableSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreachableSourceError';
  }
}

/** DNS answered that the name does not exist, or the host refused the connection outright. */
const PERMANENT_CODES = new Set(['ENOTFOUND', 'ECONNREFUSED', 'ERR_INVALID_URL']);

export interface SourceOptions {
  corpusDir?: string;
  cacheDir?: string;
  /** Gutenberg's base URL (tests point it at a local server). */
  baseUrl?: string;
  maxBytes?: number;
  signal?: AbortSignal;
}

/** Strip a leading byte-order mark and turn CRLF into LF. */
export function normalizeText(raw: string): string {
  return (raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw).replace(/\r\n/g, '\n');
}

/** `<base>/<id>/pg<id>.txt`, Gutenberg's plain-text UTF-8 edition. */
export function gutenbergUrl(id: number, baseUrl: string = config.GUTENBERG_URL): string {
  return `${baseUrl.replace(/\/+$/, '')}/${id}/pg${id}.txt`;
}

/** The title from a Gutenberg header ("Title: …" or "The Project Gutenberg eBook of …"). */
export function gutenbergTitle(text: string): string | undefined {
  const head = text.slice(0, 5000);
  const m = /^Title:[ \t]*(.+)$/m.exec(head) ?? /^The Project Gutenberg e[Bb]ook of (.+)$/m.exec(head);
  return m?.[1]?.trim() || undefined;
}

/** The book without Gutenberg's header and licence: the text between the START and END markers. */
export function gutenbergBody(text: string): string {
  const start = /^[ \t]*\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG EBOOK.*$/im.exec(text);
  if (!start) return text;
  const from = start.index + start[0].length;
  const end = /^[ \t]*\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG EBOOK.*$/im.exec(text.slice(from));
  return text.slice(from, end ? from + end.index : undefined).trim();
}

/** A title short enough for a legend: cut at a subtitle, then at a word boundary. */
export function shortTitle(title: string, max = 32): string {
  const main = title.split(/;|:| — | - |, or,? /)[0]!.trim();
  if (main.length <= max) return main;
  // The last word that fits whole (a space right after it counts), leaving room for "…".
  const space = main.slice(0, max).lastIndexOf(' ');
  const cut = space > max / 2 ? main.slice(0, space) : main.slice(0, max - 1);
  return `${cut.replace(/[\s,.;:]+$/, '')}…`;
}

/** Load Gutenberg book `id`: corpus directory, then download cache, then Gutenberg (cached after). */
export async function loadGutenbergBook(id: number, opts: SourceOptions = {}): Promise<BookText> {
  const maxBytes = opts.maxBytes ?? MAX_TEXT_BYTES;
  const name = `pg${id}.txt`;
  const cacheDir = opts.cacheDir ?? config.BOOK_CACHE_DIR;
  const local: [string, BookText['source']][] = [
    [path.join(opts.corpusDir ?? config.CORPUS_DIR, name), 'corpus'],
    [path.join(cacheDir, name), 'cache'],
  ];
  for (const [file, source] of local) {
    const bytes = await readLimited(file, maxBytes, `book ${id}`);
    if (!bytes) continue;
    if (source === 'cache') await touchCacheFile(file); // recently used: evicted last
    return makeBookText(id, bytes, source, `Gutenberg #${id}`);
  }
  const url = gutenbergUrl(id, opts.baseUrl);
  let bytes: Buffer;
  try {
    ({ bytes } = await fetchLimited(url, { maxBytes, signal: opts.signal, what: `book ${id}` }));
  } catch (err) {
    if (err instanceof HttpStatusError && err.status === 404) {
      throw new TextSourceError(`Project Gutenberg has no plain-text book ${id} (${url} answered 404)`);
    }
    throw err;
  }
  const book = makeBookText(id, bytes, 'download', `Gutenberg #${id}`);
  const cached = path.join(cacheDir, name);
  await writeAtomic(cached, bytes);
  // Keep the cache within BOOK_CACHE_MAX_MB (least recently used out first).
  await pruneBookCache(cacheDir, undefined, { keep: cached }).catch(() => {});
  return book;
}

/**
 * Text from an http(s) URL, such as a chat attachment. Unless `allowPrivateHosts` (the local
 * CLI), hosts that resolve to loopback or private addresses are refused, so that chat users
 * cannot make the worker fetch from inside its own network.
 */
export async function loadTextFromUrl(
  url: string,
  opts: SourceOptions & { allowPrivateHosts?: boolean } = {},
): Promise<BookText> {
  const parsed = parseHttpUrl(url);
  const guard = opts.allowPrivateHosts ? undefined : assertPublicHost;
  const { bytes, url: finalUrl } = await fetchLimited(parsed.href, {
    maxBytes: opts.maxBytes ?? MAX_TEXT_BYTES,
    signal: opts.signal,
    guard,
    what: 'the text',
  }).catch((err: unknown) => {
    if (err instanceof HttpStatusError) {
      const msg = `could not download ${parsed.href} (HTTP ${err.status})`;
      throw err.status >= 500 ? new DownloadError(msg) : new TextSourceError(msg);
    }
    throw err;
  });
  // Name it after the file it turned out to be (after redirects), as a chat client would.
  const file = decodeURIComponent(finalUrl.pathname.split('/').pop() ?? '');
  return makeBookText(null, bytes, 'url', file.replace(/\.txt$/i, '') || finalUrl.hostname);
}

/** Text from a local file (the CLI only: the caller decides whether local files are allowed). */
export async function loadTextFile(file: string, opts: SourceOptions = {}): Promise<BookText> {
  const bytes = await readLimited(file, opts.maxBytes ?? MAX_TEXT_BYTES, file);
  if (!bytes) throw new TextSourceError(`no such file: ${file}`);
  return makeBookText(null, bytes, 'file', path.basename(file).replace(/\.txt$/i, ''));
}

function makeBookText(id: number | null, bytes: Buffer, source: BookText['source'], fallbackTitle: string): BookText {
  const raw = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  const text = normalizeText(raw);
  const stripped = { bom: raw.charCodeAt(0) === 0xfeff, carriageReturns: raw.length - text.length - (raw.charCodeAt(0) === 0xfeff ? 1 : 0) };
  if (!text.trim()) throw new TextSourceError(`${id !== null ? `book ${id}` : 'the text'} is empty`);
  if (text.includes('\u0000')) throw new TextSourceError(`${id !== null ? `book ${id}` : 'the file'} is not plain text (it contains NUL bytes)`);
  return {
    id,
    title: gutenbergTitle(text) ?? fallbackTitle,
    text,
    source,
    sha256: createHash('sha256').update(text).digest('hex'),
    stripped,
  };
}

function parseHttpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TextSourceError(`"${url.slice(0, 80)}" is not a URL; give an http:// or https:// link to a .txt file`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TextSourceError(`only http:// and https:// URLs are fetched (got ${parsed.protocol})`);
  }
  return parsed;
}

function tooLarge(what: string, bytes: number | undefined, maxBytes: number): TextSourceError {
  const size = bytes !== undefined ? ` (${mb(bytes)})` : '';
  return new TextSourceError(`${what} is too large${size}; the limit is ${mb(maxBytes)}`);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** A file's bytes, undefined when it does not exist; refuses files over the limit before reading. */
async function readLimited(file: string, maxBytes: number, what: string): Promise<Buffer | undefined> {
  let size: number;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new TextSourceError(`${file} is not a file`);
    size = stat.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (size > maxBytes) throw tooLarge(what, size, maxBytes);
  return fs.readFile(file);
}

class HttpStatusError extends Error {
  constructor(readonly status: number, url: string) {
    super(`${url} answered HTTP ${status}`);
  }
}

/**
 * GET a URL into memory, refusing bodies over `maxBytes` (by Content-Length when given, and
 * while streaming otherwise). Redirects are followed by hand so that `guard` sees every host.
 */
export async function fetchLimited(
  url: string,
  opts: { maxBytes: number; signal?: AbortSignal; guard?: (url: URL) => Promise<void>; what: string },
): Promise<{ bytes: Buffer; url: URL }> {
  const signals = [AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS), ...(opts.signal ? [opts.signal] : [])];
  const signal = AbortSignal.any(signals);
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    await opts.guard?.(current);
    let res: Response;
    try {
      res = await fetch(current, { signal, redirect: 'manual', headers: { 'user-agent': 'substack-lab (zipf analysis)' } });
    } catch (err) {
      if (opts.signal?.aborted) throw err; // cancelled by the caller: not the source's fault
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const code = e.cause?.code;
      const why = e.name === 'TimeoutError'
        ? `no answer within ${DOWNLOAD_TIMEOUT_MS / 1000} s`
        : code === 'ENOTFOUND' ? `the host ${current.hostname} does not resolve (ENOTFOUND)` : (code ?? e.cause?.message ?? e.message);
      const msg = `could not download ${opts.what} from ${current.href} (${why})`;
      throw code && PERMANENT_CODES.has(code) ? new UnreachableSourceError(msg) : new DownloadError(msg);
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new TextSourceError(`${url} redirects more than ${MAX_REDIRECTS} times`);
      current = parseHttpUrl(new URL(location, current).href);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new HttpStatusError(res.status, current.href);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > opts.maxBytes) {
      await res.body?.cancel();
      throw tooLarge(opts.what, declared, opts.maxBytes);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const reader = res.body?.getReader();
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > opts.maxBytes) {
        await reader.cancel();
        throw tooLarge(opts.what, undefined, opts.maxBytes);
      }
      chunks.push(Buffer.from(value));
    }
    return { bytes: Buffer.concat(chunks), url: current };
  }
}

const privateRanges = (() => {
  const list = new net.BlockList();
  for (const [addr, bits] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
    ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 3],
  ] as const) list.addSubnet(addr, bits, 'ipv4');
  for (const [addr, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
    list.addSubnet(addr, bits, 'ipv6');
  }
  return list;
})();

/** True for loopback, private, link-local, multicast and unspecified addresses (IPv4-mapped too). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return privateRanges.check(mapped[1]!, 'ipv4');
  return privateRanges.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
}

async function assertPublicHost(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true })).map((a) => a.address);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const msg = `could not download ${url.href} (the host ${url.hostname} does not resolve${code ? `: ${code}` : ''})`;
    throw code === 'ENOTFOUND' ? new UnreachableSourceError(msg) : new DownloadError(msg);
  }
  if (addresses.some(isPrivateAddress)) {
    throw new TextSourceError(`${url.hostname} is a private or local address; only public URLs are fetched`);
  }
}

async function writeAtomic(file: string, bytes: Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, file);
}
