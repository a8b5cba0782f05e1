import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { zipSync } from 'fflate';
import { TextSourceError } from '../../src/analyses/gutenberg.ts';
import {
  DATASETS, loadDataset, loadUserCsv, MAX_CSV_BYTES, MAX_CSV_ROWS, numericColumn, parseCsv, tableFromCsv,
} from '../../src/analyses/lib/datasets.ts';

/** The TextSourceError message a call throws (fails if it does not throw one). */
async function sourceError(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (err) {
    assert.ok(err instanceof TextSourceError, `expected a TextSourceError, got ${(err as Error).name}: ${(err as Error).message}`);
    return err.message;
  }
  assert.fail('expected an error');
}

describe('bundled data sets', () => {
  test('load with the shapes the notebooks read', async () => {
    const shapes = { arrhythmia: [452, 5], 'seoul-bike': [8760, 14], 'residential-building': [372, 4] } as const;
    for (const [id, [rows, cols]] of Object.entries(shapes)) {
      const t = await loadDataset(id as keyof typeof shapes);
      assert.equal(t.rows.length, rows, id);
      assert.equal(t.columns.length, cols, id);
      assert.deepEqual(t.columns, DATASETS[id as keyof typeof shapes].columns, id);
      assert.equal(t.source, 'bundled');
      assert.ok(t.rows.every((r) => r.length === cols), id);
    }
  });

  test('values are the files\' own (first rows as in data/uci)', async () => {
    const r = await loadDataset('residential-building');
    assert.deepEqual(r.rows[0], ['3150', '15', '67.81', '2200']);
    assert.deepEqual(numericColumn(r, 'Price').slice(0, 3), [2200, 5000, 1200]);
    const s = await loadDataset('seoul-bike');
    assert.equal(s.columns[3], 'Temperature(°C)');
    assert.deepEqual(s.rows[0]!.slice(0, 4), ['01/12/2017', '254', '0', '-5.2']);
    const a = await loadDataset('arrhythmia');
    assert.deepEqual(a.rows[0], ['75', '0', '190', '80', '91']);
    // UCI marks missing values "?": none in the first five attributes, all numeric.
    assert.ok(numericColumn(a, 'qrs').every(Number.isFinite));
  });
});

describe('CSV parsing', () => {
  test('quotes, escaped quotes, commas and line breaks inside fields; CRLF; BOM', () => {
    const { rows, lines } = parseCsv('\ufeffname,note\r\n"Smith, J.","said ""hi""\r\nthen left"\r\nLee,ok\r\n', 'x.csv');
    assert.deepEqual(rows, [['name', 'note'], ['Smith, J.', 'said "hi"\nthen left'], ['Lee', 'ok']]);
    assert.deepEqual(lines, [1, 2, 4]);
  });

  test('blank lines are skipped and line numbers stay right', () => {
    const t = tableFromCsv('a,b\n1,2\n\n3,x\n', 't.csv');
    assert.equal(t.rows.length, 2);
    assert.deepEqual(t.lines, [2, 4]);
    assert.throws(() => numericColumn(t, 'b'), /t\.csv, line 4, column 2 \("b"\): "x" is not a number/);
  });

  test('numericColumn names line and column, also after a field that spans lines', () => {
    const t = tableFromCsv('a,b\n"multi\nline",1\n"x",oops\n', 'm.csv');
    assert.throws(() => numericColumn(t, 'b'), /m\.csv, line 4, column 2 \("b"\): "oops" is not a number/);
    assert.throws(() => numericColumn(t, 'c'), /m\.csv has no column "c" \(it has "a", "b"\)/);
    const ok = tableFromCsv('v\n1.5\n-2e3\n.25\n?\nNA\n', 'ok.csv');
    assert.deepEqual(numericColumn(ok, 'v').map((x) => (Number.isNaN(x) ? 'NaN' : x)), [1.5, -2000, 0.25, 'NaN', 'NaN']);
    assert.throws(() => numericColumn(tableFromCsv('v\n1,5\n', 'c.csv'), 'v'), /line 2/); // ragged, caught first
    assert.throws(() => numericColumn(tableFromCsv('v\n1 000\n', 'c.csv'), 'v'), /c\.csv, line 2, column 1 \("v"\): "1 000" is not a number/);
  });

  test('malformed CSVs fail with a clear message', async () => {
    assert.match(await sourceError(() => tableFromCsv('a,b\n1,2\n3\n', 'r.csv')), /^r\.csv, line 3: 1 field, but the header has 2$/);
    assert.match(await sourceError(() => tableFromCsv('a,b\n1,2,3\n', 'r.csv')), /^r\.csv, line 2: 3 fields, but the header has 2$/);
    assert.match(await sourceError(() => tableFromCsv('a,b,a\n1,2,3\n', 'd.csv')), /^d\.csv, line 1, column 3: the column name "a" appears twice$/);
    assert.match(await sourceError(() => tableFromCsv('a,,c\n1,2,3\n', 'h.csv')), /line 1, column 2: the header has an empty column name/);
    assert.match(await sourceError(() => tableFromCsv('', 'e.csv')), /^e\.csv is empty/);
    assert.match(await sourceError(() => tableFromCsv('\n\n', 'e.csv')), /^e\.csv is empty/);
    assert.match(await sourceError(() => tableFromCsv('a,b\n', 'h.csv')), /has a header but no data rows/);
    assert.match(await sourceError(() => tableFromCsv('a,b\n1,\u00002\n', 'n.csv')), /not a text file \(it contains NUL bytes\)/);
    assert.match(await sourceError(() => tableFromCsv('a,b\n"open,2\n3,4\n', 'q.csv')), /^q\.csv, line 2, column 1: a quoted field is never closed/);
    assert.match(await sourceError(() => tableFromCsv('a,b\n1,"x"y\n', 'q.csv')), /^q\.csv, line 2, column 2: unexpected text after a closing quote/);
  });
});

describe('user CSVs', () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-datasets-'));
    server = http.createServer((req, res) => {
      if (req.url === '/good.csv') {
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end('x,y\n1,2\n3,4\n');
      } else if (req.url === '/big.csv') {
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end('x\n' + '1\n'.repeat(MAX_CSV_BYTES / 2 + 10));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('a local file and a URL load as tables', async () => {
    const file = path.join(dir, 'mine.csv');
    await fs.writeFile(file, 'a,b\n1,2\n');
    const t = await loadUserCsv({ file });
    assert.deepEqual([t.columns, t.rows, t.source], [['a', 'b'], [['1', '2']], 'file']);
    const u = await loadUserCsv({ url: `${base}/good.csv`, allowPrivateHosts: true });
    assert.deepEqual([u.columns, u.rows.length, u.source], [['x', 'y'], 2, 'url']);
  });

  test('size and row limits, missing files, private hosts, HTTP errors', async () => {
    const big = path.join(dir, 'big.csv');
    await fs.writeFile(big, 'x\n' + '1\n'.repeat(MAX_CSV_BYTES / 2 + 10));
    assert.match(await sourceError(() => loadUserCsv({ file: big })), /too large \(2\.0 MB\); the limit is 2\.0 MB/);
    assert.match(await sourceError(() => loadUserCsv({ url: `${base}/big.csv`, allowPrivateHosts: true })), /too large; the limit is 2\.0 MB/);
    const many = path.join(dir, 'many.csv');
    await fs.writeFile(many, 'x\n' + '1\n'.repeat(MAX_CSV_ROWS + 1));
    assert.match(await sourceError(() => loadUserCsv({ file: many })), new RegExp(`has ${MAX_CSV_ROWS + 1} data rows; the limit is ${MAX_CSV_ROWS}`));
    assert.match(await sourceError(() => loadUserCsv({ file: path.join(dir, 'nope.csv') })), /no such file/);
    assert.match(await sourceError(() => loadUserCsv({ url: `${base}/good.csv`, allowPrivateHosts: false })), /private or local address/);
    assert.match(await sourceError(() => loadUserCsv({ url: `${base}/missing.csv`, allowPrivateHosts: true })), /HTTP 404/);
  });
});

describe('UCI downloads (against a local server)', () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  const hits: string[] = [];
  // A Latin-1 snippet of SeoulBikeData.csv: the degree sign is the single byte 0xB0.
  const seoulHeader = DATASETS['seoul-bike'].columns.join(',');
  const seoulLatin1 = Buffer.from(`${seoulHeader}\r\n01/12/2017,254,0,-5.2,37,2.2,2000,-17.6,0,0,0,Winter,No Holiday,Yes\r\n01/12/2017,204,1,-5.5,38,0.8,2000,-17.6,0,0,0,Winter,No Holiday,Yes\r\n`, 'latin1');
  let zip: Uint8Array;

  before(async () => {
    assert.equal(seoulLatin1.includes(0xb0), true);
    assert.equal(seoulLatin1.includes(Buffer.from('°', 'utf8')), false);
    // The workbook UCI zips: group titles in row 1, names in row 2, data from row 3; the
    // notebook reads columns F, V, AA and DD.
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Data');
    ws.getCell('A1').value = 'PROJECT PHYSICAL AND FINANCIAL VARIABLES';
    for (const [c, name] of [['F', 'V-2'], ['V', 'V-20'], ['AA', 'V-25'], ['DD', 'V-9']]) ws.getCell(`${c}2`).value = name;
    const data = [[3150, 15, 67.81, 2200], [7600, 15, 105.52, 5000], [4800, 15, 45.91, 1200]];
    data.forEach((r, i) => {
      const row = 3 + i;
      ws.getCell(`A${row}`).value = i + 1;
      ws.getCell(`F${row}`).value = r[0]!;
      ws.getCell(`V${row}`).value = r[1]!;
      ws.getCell(`AA${row}`).value = r[2]!;
      // A formula with its cached result, as spreadsheets store them.
      ws.getCell(`DD${row}`).value = { formula: `${r[3]}+0`, result: r[3]! };
    });
    const xlsx = new Uint8Array(await wb.xlsx.writeBuffer());
    zip = zipSync({ 'Residential-Building-Data-Set.xlsx': xlsx, 'readme.txt': new TextEncoder().encode('not the data') });

    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-uci-'));
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/SeoulBikeData.csv') {
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end(seoulLatin1);
      } else if (req.url === '/residential+building+data+set.zip') {
        res.writeHead(200, { 'content-type': 'application/zip' });
        res.end(Buffer.from(zip));
      } else if (req.url === '/arrhythmia.data') {
        res.writeHead(503);
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('Seoul Bike: Latin-1 decoded, cached, and the cache reused', async () => {
    const t = await loadDataset('seoul-bike', { download: true, baseUrl: base, cacheDir: dir });
    assert.equal(t.source, 'uci');
    assert.equal(t.columns[3], 'Temperature(°C)');
    assert.equal(t.rows.length, 2);
    assert.deepEqual(numericColumn(t, 'Temperature(°C)'), [-5.2, -5.5]);
    const cached = await fs.readFile(path.join(dir, 'seoul-bike.csv'), 'utf8');
    assert.ok(cached.startsWith('Date,Rented Bike Count,Hour,Temperature(°C)'));
    const before = hits.length;
    const again = await loadDataset('seoul-bike', { download: true, baseUrl: base, cacheDir: dir });
    assert.equal(again.source, 'cache');
    assert.equal(hits.length, before, 'the second load must not download');
    assert.deepEqual(again.rows, t.rows);
  });

  test('Residential Building: the xlsx inside the zip, columns F, V, AA, DD from row 3', async () => {
    const t = await loadDataset('residential-building', { download: true, baseUrl: base, cacheDir: dir });
    assert.equal(t.source, 'uci');
    assert.deepEqual(t.columns, ['FloorArea', 'Interest', 'CPI', 'Price']);
    assert.deepEqual(t.rows, [['3150', '15', '67.81', '2200'], ['7600', '15', '105.52', '5000'], ['4800', '15', '45.91', '1200']]);
    assert.equal(await fs.readFile(path.join(dir, 'residential-building.csv'), 'utf8'), 'FloorArea,Interest,CPI,Price\n3150,15,67.81,2200\n7600,15,105.52,5000\n4800,15,45.91,1200\n');
    const n = hits.filter((h) => h.endsWith('.zip')).length;
    assert.equal((await loadDataset('residential-building', { download: true, baseUrl: base, cacheDir: dir })).source, 'cache');
    assert.equal(hits.filter((h) => h.endsWith('.zip')).length, n);
  });

  test('a failed download is a source error and writes no cache', async () => {
    assert.match(await sourceError(() => loadDataset('arrhythmia', { download: true, baseUrl: base, cacheDir: dir })), /could not download the Arrhythmia data set from .*arrhythmia\.data \(HTTP 503\)/);
    await assert.rejects(fs.stat(path.join(dir, 'arrhythmia.csv')), { code: 'ENOENT' });
    const other = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-uci-bad-'));
    try {
      const bad = http.createServer((_req, res) => res.end('this is not a zip'));
      await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
      assert.match(await sourceError(() => loadDataset('residential-building', { download: true, baseUrl: url, cacheDir: other })), /not a readable zip file/);
      await new Promise((resolve) => bad.close(resolve));
      assert.deepEqual(await fs.readdir(other), []);
    } finally {
      await fs.rm(other, { recursive: true, force: true });
    }
  });
});
