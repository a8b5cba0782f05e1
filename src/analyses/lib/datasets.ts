// Tabular data for the data-science posts: the UCI data sets the notebooks read (bundled in
// data/uci/ so a fresh clone runs offline, or downloaded from UCI on request and cached), and a
// user's own CSV (a chat attachment's URL, or a local file from the CLI). Every source is parsed
// the same way, and a malformed file fails with the line and the column that are wrong.
import { unzipSync } from 'fflate';
import fs from 'node:fs/promises';
import path from 'node:path';
import { config, repoRoot } from '../../config.ts';
import { fetchLimited, loadTextFile, loadTextFromUrl, TextSourceError } from '../gutenberg.ts';

/** Largest CSV accepted from a user (the largest bundled set, Seoul Bike, is 0.6 MB). */
export const MAX_CSV_BYTES = 2 * 1024 * 1024;
/** Most data rows accepted from a user's CSV: keeps every analysis within the job timeout. */
export const MAX_CSV_ROWS = 20_000;
/** UCI's files are larger than a user's CSV may be (the Residential Building zip is 0.3 MB). */
const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

export const DATA_DIR = path.join(repoRoot, 'data', 'uci');

/** A parsed table: column names and rows of raw cell text. */
export interface DataTable {
  name: string;
  columns: string[];
  rows: string[][];
  /** Where the table came from, for the result text. */
  source: 'bundled' | 'uci' | 'cache' | 'url' | 'file';
  /** The line (1-based, the header is line 1) each row starts on, for error messages. */
  lines?: number[];
}

export type DatasetId = 'arrhythmia' | 'seoul-bike' | 'residential-building';

export interface DatasetInfo {
  id: DatasetId;
  title: string;
  /** The citation CC BY 4.0 asks for. */
  citation: string;
  page: string;
  /** The file the notebook downloads. */
  url: string;
  /** The columns the project keeps (the bundled copy has exactly these). */
  columns: string[];
  bundled: string;
  /** Turn UCI's download into the bundled table's shape. */
  fromDownload(bytes: Buffer): Promise<string[][]>;
}

export const DATASETS: Record<DatasetId, DatasetInfo> = {
  arrhythmia: {
    id: 'arrhythmia',
    title: 'Arrhythmia',
    citation: 'H. Altay Guvenir, Burak Acar, Haldun Muderrisoglu, Arrhythmia [Dataset], UCI Machine Learning Repository, 1998 (CC BY 4.0)',
    page: 'https://archive.ics.uci.edu/dataset/5/arrhythmia',
    url: 'https://archive.ics.uci.edu/ml/machine-learning-databases/arrhythmia/arrhythmia.data',
    columns: ['age', 'sex', 'height', 'weight', 'qrs'],
    bundled: 'arrhythmia-first5.csv',
    // 279 attributes and the class, no header; the notebook uses the first five.
    fromDownload: async (bytes) => parseCsvRows(decodeText(bytes), 'arrhythmia.data').map((r) => r.slice(0, 5)),
  },
  'seoul-bike': {
    id: 'seoul-bike',
    title: 'Seoul Bike Sharing Demand',
    citation: "Sathishkumar V E, Jangwoo Park, Yongyun Cho, 'Using data mining techniques for bike sharing demand prediction in metropolitan city', Computer Communications 153 (2020) 353–366; UCI Machine Learning Repository (CC BY 4.0)",
    page: 'https://archive.ics.uci.edu/dataset/560/seoul+bike+sharing+demand',
    url: 'https://archive.ics.uci.edu/ml/machine-learning-databases/00560/SeoulBikeData.csv',
    columns: ['Date', 'Rented Bike Count', 'Hour', 'Temperature(°C)', 'Humidity(%)', 'Wind speed (m/s)', 'Visibility (10m)',
      'Dew point temperature(°C)', 'Solar Radiation (MJ/m2)', 'Rainfall(mm)', 'Snowfall (cm)', 'Seasons', 'Holiday', 'Functioning Day'],
    bundled: 'seoul-bike.csv',
    // UCI serves it in Latin-1 (the degree sign is byte 0xB0): decode it so, or the names break
    // (a UTF-8 copy, as some mirrors hold, decodes as UTF-8).
    fromDownload: async (bytes) => parseCsvRows(decodeText(bytes), 'SeoulBikeData.csv').slice(1),
  },
  'residential-building': {
    id: 'residential-building',
    title: 'Residential Building',
    citation: 'Mohammad H. Rafiei, Hojjat Adeli, Residential Building [Dataset], UCI Machine Learning Repository, 2016 (CC BY 4.0)',
    page: 'https://archive.ics.uci.edu/dataset/437/residential+building+data+set',
    url: 'https://archive.ics.uci.edu/static/public/437/residential+building+data+set.zip',
    columns: ['FloorArea', 'Interest', 'CPI', 'Price'],
    bundled: 'residential-building.csv',
    fromDownload: residentialFromZip,
  },
};

/** A bundled data set, or (`download`) the file from UCI, cached after the first fetch. */
export async function loadDataset(
  id: DatasetId,
  opts: { download?: boolean; cacheDir?: string; baseUrl?: string; signal?: AbortSignal } = {},
): Promise<DataTable> {
  const info = DATASETS[id];
  if (!opts.download) {
    const text = await fs.readFile(path.join(DATA_DIR, info.bundled), 'utf8');
    return { ...tableFromCsv(text, info.bundled), name: info.title, source: 'bundled' };
  }
  const cacheFile = path.join(opts.cacheDir ?? config.DATA_CACHE_DIR, `${id}.csv`);
  const cached = await fs.readFile(cacheFile, 'utf8').catch(() => undefined);
  if (cached !== undefined) return { ...tableFromCsv(cached, cacheFile), name: info.title, source: 'cache' };
  const url = opts.baseUrl ? `${opts.baseUrl.replace(/\/+$/, '')}/${path.posix.basename(new URL(info.url).pathname)}` : info.url;
  const what = `the ${info.title} data set`;
  const { bytes } = await fetchLimited(url, { maxBytes: MAX_DOWNLOAD_BYTES, signal: opts.signal, what }).catch((err: unknown) => {
    // fetchLimited reports an HTTP error status with its own (unexported) class: make it a
    // source error too, so that callers turn it into a message about the `download` option.
    const status = (err as { status?: unknown }).status;
    if (!(err instanceof TextSourceError) && typeof status === 'number') {
      throw new TextSourceError(`could not download ${what} from ${url} (HTTP ${status})`);
    }
    throw err;
  });
  const rows = await info.fromDownload(bytes);
  // The download must have the bundled copy's shape, or every analysis would misread it.
  const table = tableFromRows([info.columns, ...rows], `${what} from ${url}`);
  const text = [info.columns, ...table.rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
  await fs.mkdir(path.dirname(cacheFile), { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, cacheFile);
  return { ...table, name: info.title, source: 'uci' };
}

/** A user's CSV: from a URL (a chat attachment) or, on the command line, a local file. */
export async function loadUserCsv(
  from: { url: string; allowPrivateHosts: boolean; signal?: AbortSignal } | { file: string },
): Promise<DataTable> {
  const source = 'url' in from
    ? await loadTextFromUrl(from.url, { maxBytes: MAX_CSV_BYTES, allowPrivateHosts: from.allowPrivateHosts, signal: from.signal })
    : await loadTextFile(from.file, { maxBytes: MAX_CSV_BYTES });
  const name = source.title || 'your CSV';
  const table = tableFromCsv(source.text, name);
  if (table.rows.length > MAX_CSV_ROWS) {
    throw new TextSourceError(`${name} has ${table.rows.length} data rows; the limit is ${MAX_CSV_ROWS}`);
  }
  return { ...table, source: 'url' in from ? 'url' : 'file' };
}

/** Parsed CSV records and the line (1-based) each one starts on. */
export interface CsvRecords {
  rows: string[][];
  lines: number[];
}

/**
 * RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks; CRLF, CR and LF
 * all end a line; a leading byte-order mark is dropped. Blank lines are skipped (as pandas does)
 * and every record keeps the line it starts on, so errors point at the right line even after a
 * field that spans several. A quote left open, or text right after a closing quote, fails with
 * its line and column.
 */
export function parseCsv(text: string, name: string): CsvRecords {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (s.includes('\u0000')) throw new TextSourceError(`${name} is not a text file (it contains NUL bytes)`);
  const rows: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const startLine = line;
    const row: string[] = [];
    for (;;) {
      // One field, starting at s[i].
      let field = '';
      if (s[i] === '"') {
        const openLine = line;
        const openColumn = row.length + 1;
        i++;
        for (;;) {
          if (i >= n) throw new TextSourceError(`${name}, line ${openLine}, column ${openColumn}: a quoted field is never closed (a " is missing)`);
          const c = s[i]!;
          if (c === '"') {
            if (s[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\r' || c === '\n') {
            line++;
            if (c === '\r' && s[i + 1] === '\n') i++;
            field += '\n';
            i++;
            continue;
          }
          field += c;
          i++;
        }
        if (i < n && s[i] !== ',' && s[i] !== '\n' && s[i] !== '\r') {
          throw new TextSourceError(`${name}, line ${line}, column ${row.length + 1}: unexpected text after a closing quote (a quote inside a quoted field is written "")`);
        }
      } else {
        let j = i;
        while (j < n && s[j] !== ',' && s[j] !== '\n' && s[j] !== '\r') j++;
        field = s.slice(i, j);
        i = j;
      }
      row.push(field);
      if (i < n && s[i] === ',') {
        i++;
        continue;
      }
      // End of the record: a line break or the end of the text.
      if (i < n) {
        if (s[i] === '\r' && s[i + 1] === '\n') i++;
        i++;
        line++;
      }
      break;
    }
    if (row.length === 1 && row[0] === '') continue; // a blank line
    rows.push(row);
    lines.push(startLine);
  }
  return { rows, lines };
}

/** CSV records without their line numbers (see parseCsv). */
export function parseCsvRows(text: string, name: string): string[][] {
  return parseCsv(text, name).rows;
}

/** A CSV text as a table: parseCsv, then tableFromRows with the records' real line numbers. */
export function tableFromCsv(text: string, name: string): Omit<DataTable, 'source'> {
  const { rows, lines } = parseCsv(text, name);
  return tableFromRows(rows, name, lines);
}

/**
 * Header + rows, every row as wide as the header; otherwise the first bad line is named.
 * `lines` gives the line each record starts on (default: one record per line).
 */
export function tableFromRows(rows: string[][], name: string, lines?: readonly number[]): Omit<DataTable, 'source'> {
  const [header, ...body] = rows;
  const lineOf = (k: number) => lines?.[k] ?? k + 1;
  if (!header || header.every((c) => c.trim() === '')) throw new TextSourceError(`${name} is empty: a CSV needs a header line of column names`);
  const columns = header.map((c) => c.trim());
  const seen = new Set<string>();
  columns.forEach((c, i) => {
    if (c === '') throw new TextSourceError(`${name}, line ${lineOf(0)}, column ${i + 1}: the header has an empty column name`);
    if (seen.has(c)) throw new TextSourceError(`${name}, line ${lineOf(0)}, column ${i + 1}: the column name "${c}" appears twice`);
    seen.add(c);
  });
  body.forEach((r, i) => {
    if (r.length !== columns.length) {
      throw new TextSourceError(`${name}, line ${lineOf(i + 1)}: ${r.length} field${r.length === 1 ? '' : 's'}, but the header has ${columns.length}`);
    }
  });
  if (body.length === 0) throw new TextSourceError(`${name} has a header but no data rows`);
  return { name, columns, rows: body, lines: body.map((_, i) => lineOf(i + 1)) };
}

/**
 * A column as numbers. `missing` cells (UCI marks them "?") become NaN; anything else that is
 * not a plain decimal number fails with its line and column (line 1 is the header).
 */
export function numericColumn(
  table: Pick<DataTable, 'name' | 'columns' | 'rows'> & { lines?: readonly number[] },
  column: string,
  opts: { missing?: readonly string[] } = {},
): number[] {
  const j = table.columns.indexOf(column);
  if (j < 0) throw new TextSourceError(`${table.name} has no column "${column}" (it has ${table.columns.map((c) => `"${c}"`).join(', ')})`);
  const missing = new Set(opts.missing ?? ['', '?', 'NA', 'NaN']);
  return table.rows.map((r, i) => {
    const cell = (r[j] ?? '').trim();
    if (missing.has(cell)) return NaN;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell)) {
      const line = table.lines?.[i] ?? i + 2;
      throw new TextSourceError(`${table.name}, line ${line}, column ${j + 1} ("${column}"): "${cell.slice(0, 40)}" is not a number`);
    }
    return Number(cell);
  });
}

/** UTF-8 when the bytes are valid UTF-8, else Latin-1 (UCI's older files). */
function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function csvCell(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * UCI's zip holds Residential-Building-Data-Set.xlsx; the notebook reads sheet 1 skipping its
 * first row (group titles), so row 2 is the header and the data follow, columns F, V, AA, DD.
 */
async function residentialFromZip(bytes: Buffer): Promise<string[][]> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(new Uint8Array(bytes), { filter: (f) => f.name.toLowerCase().endsWith('.xlsx') });
  } catch (err) {
    throw new TextSourceError(`the Residential Building download is not a readable zip file (${(err as Error).message})`);
  }
  const xlsx = Object.values(files)[0];
  if (!xlsx) throw new TextSourceError('the Residential Building zip holds no .xlsx file');
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(xlsx) as unknown as ArrayBuffer);
  const sheet = wb.worksheets[0];
  if (!sheet) throw new TextSourceError('the Residential Building workbook has no sheet');
  const rows: string[][] = [];
  for (let r = 3; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    const cells = ['F', 'V', 'AA', 'DD'].map((c) => row.getCell(c).value);
    if (cells.every((v) => v === null || v === undefined || v === '')) continue;
    rows.push(cells.map(cellText));
  }
  return rows;
}

/** An exceljs cell value as CSV text: formulas give their cached result, rich text its characters. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    if ('result' in v) return cellText((v as { result: unknown }).result);
    if ('richText' in v) return (v as { richText: { text: string }[] }).richText.map((r) => r.text).join('');
    if ('text' in v) return String((v as { text: unknown }).text);
    return ''; // an error value (#DIV/0!) or an empty formula: a missing cell
  }
  return String(v);
}
