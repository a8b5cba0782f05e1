// The size bound of BOOK_CACHE_DIR: downloaded books (pgNNN.txt) and their Zipf counts
// (counts/*.json). Every read of a cached file marks it used (its mtime is set to now: atime is
// not updated on most mounts), and after every write the least recently used files are deleted
// until the directory fits in BOOK_CACHE_MAX_MB. Only those two kinds of file are ever deleted,
// and never from the bundled corpus (CORPUS_DIR), even if the two directories are configured
// to be the same.
import fs from 'node:fs/promises';
import path from 'node:path';
import { config } from '../../config.ts';

const BOOK_FILE = /^pg\d+\.txt$/;
const COUNTS_FILE = /\.json$/;
/** Temporary files a crashed writer left behind are removed once this old. */
const STALE_TMP_MS = 60 * 60 * 1000;

export interface PruneResult {
  /** Bytes of cache files kept. */
  bytes: number;
  removed: string[];
}

/** Mark a cache file as just used (errors ignored: the file may have been evicted meanwhile). */
export async function touchCacheFile(file: string): Promise<void> {
  const now = new Date();
  await fs.utimes(file, now, now).catch(() => {});
}

/** The configured bound in bytes. */
export function bookCacheMaxBytes(): number {
  return Math.round(config.BOOK_CACHE_MAX_MB * 1024 * 1024);
}

/**
 * Delete the least recently used books and counts in `dir` until they total at most `maxBytes`.
 * `keep` (the file just written) is deleted last of all, only if it alone is over the bound.
 */
export async function pruneBookCache(
  dir: string,
  maxBytes: number = bookCacheMaxBytes(),
  opts: { keep?: string; protectedDirs?: string[] } = {},
): Promise<PruneResult> {
  const protectedDirs = (opts.protectedDirs ?? [config.CORPUS_DIR]).map((d) => path.resolve(d));
  if (protectedDirs.includes(path.resolve(dir))) return { bytes: 0, removed: [] };
  const files: { file: string; size: number; used: number }[] = [];
  const now = Date.now();
  const scan = async (folder: string, pattern: RegExp) => {
    let names: string[];
    try {
      names = await fs.readdir(folder);
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.resolve(folder, name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (!stat?.isFile()) continue;
      if (name.endsWith('.tmp')) {
        if (now - stat.mtimeMs > STALE_TMP_MS) await fs.rm(file, { force: true });
        continue;
      }
      if (pattern.test(name)) files.push({ file, size: stat.size, used: Math.max(stat.mtimeMs, stat.atimeMs) });
    }
  };
  await scan(dir, BOOK_FILE);
  await scan(path.join(dir, 'counts'), COUNTS_FILE);
  const keep = opts.keep && path.resolve(opts.keep);
  // Oldest first; the file just written after everything else.
  files.sort((a, b) => Number(a.file === keep) - Number(b.file === keep) || a.used - b.used);
  let bytes = files.reduce((s, f) => s + f.size, 0);
  const removed: string[] = [];
  for (const f of files) {
    if (bytes <= maxBytes) break;
    await fs.rm(f.file, { force: true });
    bytes -= f.size;
    removed.push(f.file);
  }
  return { bytes, removed };
}
