// Where a data-set post's table comes from: the bundled copy of the notebook's UCI data set (the
// default), the full file from UCI (`download`), a user's CSV by URL (`csv_url`, a chat
// attachment) or a local CSV (`file`, the CLI only). The three options and their loading are the
// same for every such post, so they live here once.
import { z } from 'zod';
import { TextSourceError } from '../gutenberg.ts';
import { OptionError, type AnalysisContext } from '../types.ts';
import { DATASETS, loadDataset, loadUserCsv, type DataTable, type DatasetId } from './datasets.ts';

export type TableSourceOption = 'download' | 'csv_url' | 'file';

/** The three option fields, described for `dataset` (prefix: e.g. "Part 3: "). */
export function tableSourceOptions(dataset: DatasetId, prefix = '') {
  const title = DATASETS[dataset].title;
  return {
    download: z.boolean().default(false)
      .describe(`${prefix}Fetch the full ${title} file from UCI (cached after the first time) instead of the bundled copy`),
    csv_url: z.string().max(2048).regex(/^https?:\/\/\S+$/i, 'must be an http:// or https:// URL (a chat attachment\'s link)').optional()
      .describe(`${prefix}http(s) URL of your own CSV (a chat attachment) to analyse instead; max 2 MB, 20,000 rows`),
    file: z.string().min(1).max(1024).optional()
      .describe(`${prefix}Local CSV file to analyse instead (command line only); max 2 MB, 20,000 rows`),
  };
}

export interface TableSource {
  download: boolean;
  csv_url?: string | undefined;
  file?: string | undefined;
}

/** The table, and the option it came through (`download` also for the bundled copy). */
export async function loadTableSource(
  opts: TableSource,
  dataset: DatasetId,
  ctx: Pick<AnalysisContext, 'localFiles' | 'signal'>,
): Promise<{ table: DataTable; option: TableSourceOption }> {
  const given = (['csv_url', 'file', 'download'] as const).filter((k) => (k === 'download' ? opts.download : opts[k] !== undefined));
  if (given.length > 1) throw new OptionError(given[1]!, `give only one of ${given.join(', ')}`);
  if (opts.file !== undefined) {
    if (!ctx.localFiles) throw new OptionError('file', 'local files can only be read from the command line (lab run); in chat, attach the CSV and use csv_url');
    const file = opts.file;
    return { table: await asOption('file', () => loadUserCsv({ file })), option: 'file' };
  }
  if (opts.csv_url !== undefined) {
    const url = opts.csv_url;
    // The CLI user may point at a server on their own machine; chat input may not.
    return { table: await asOption('csv_url', () => loadUserCsv({ url, allowPrivateHosts: ctx.localFiles ?? false, signal: ctx.signal })), option: 'csv_url' };
  }
  return { table: await asOption('download', () => loadDataset(dataset, { download: opts.download, signal: ctx.signal })), option: 'download' };
}

/** A data-source problem the user can fix (a bad file, a 404) names the option they gave. */
async function asOption<T>(option: TableSourceOption, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof TextSourceError) throw new OptionError(option, err.message);
    throw err;
  }
}
