// The on-disk layout of downloaded models, the same as huggingface_hub's cache so the two can share
// one (https://huggingface.co/docs/huggingface_hub/guides/manage-cache):
//   <cache>/models--<org>--<name>/blobs/<etag>                 the file contents, named by ETag
//   <cache>/models--<org>--<name>/snapshots/<commit>/<file>    symlink (or copy) → ../../blobs/<etag>
//   <cache>/models--<org>--<name>/refs/<revision>              the commit a branch pointed to
// Shared by the downloader (hub.ts) and model resolution (models/registry.ts).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { config, type Config } from '../config.ts';

/** Where pulls write: `$HF_HOME/hub` when HF_HOME is set, else the project's MODELS_DIR. */
export function defaultCacheDir(cfg: Pick<Config, 'HF_HOME' | 'MODELS_DIR'> = config): string {
  return cfg.HF_HOME ? path.join(cfg.HF_HOME, 'hub') : cfg.MODELS_DIR;
}

/**
 * Where resolution looks, in order: the pull target, the project's models cache, and — when
 * HF_HOME is unset — huggingface_hub's default cache, so a model already downloaded with Python
 * is used without a second download.
 */
export function searchCacheDirs(cfg: Pick<Config, 'HF_HOME' | 'MODELS_DIR'> = config): string[] {
  const dirs = [defaultCacheDir(cfg), cfg.MODELS_DIR];
  if (!cfg.HF_HOME) dirs.push(path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface', 'hub'));
  return [...new Set(dirs.map((d) => path.resolve(d)))];
}

export function repoCacheDir(cacheDir: string, repo: string): string {
  return path.join(cacheDir, `models--${repo.split('/').join('--')}`);
}

export const isCommitHash = (rev: string) => /^[0-9a-f]{40}$/.test(rev);

export function blobPath(cacheDir: string, repo: string, etag: string): string {
  return path.join(repoCacheDir(cacheDir, repo), 'blobs', etag);
}

export function snapshotDir(cacheDir: string, repo: string, commit: string): string {
  return path.join(repoCacheDir(cacheDir, repo), 'snapshots', commit);
}

/** Revisions may be branch names with slashes ("refs/pr/1"); the ref file mirrors them. */
export function refPath(cacheDir: string, repo: string, revision: string): string {
  return path.join(repoCacheDir(cacheDir, repo), 'refs', ...revision.split('/'));
}

/** The snapshot directory for `revision` if every one of `files` is in it, else undefined. */
export async function findSnapshot(cacheDir: string, repo: string, files: string[], revision = 'main'): Promise<string | undefined> {
  let commit = revision;
  if (!isCommitHash(revision)) {
    try {
      commit = (await fs.readFile(refPath(cacheDir, repo, revision), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }
  const dir = snapshotDir(cacheDir, repo, commit);
  for (const f of files) {
    try {
      await fs.stat(path.join(dir, f)); // follows the symlink: a dangling link is not a download
    } catch {
      return undefined;
    }
  }
  return dir;
}
