import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { getAnalysis } from '../../src/analyses/index.ts';
import { largestFactorCounts, largestPrimeFactors, primesFromTable, smoothCounts, smoothNumbers } from '../../src/analyses/lib/primes.ts';
import { thinToGrid } from '../../src/analyses/lib/point-thinning.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { runAnalysis } from '../../src/analyses/run.ts';
import { computeSmooth, Options, smoothAnalysis } from '../../src/analyses/smooth.ts';
import { OptionError } from '../../src/analyses/types.ts';
import { writeResult } from '../../src/cli/run.ts';
import { decodePng } from '../../src/render/png.ts';
import { checkFigure } from '../render/helpers.ts';
import { optionErrorMessage } from './reference.ts';

// Expected values below come from an independent Python script (trial division by every d with
// d² ≤ n, keeping the last factor found; 0 for 0 and 1), not from the project's sieve:
//   L = [0, 0] + [lpf(i) for i in range(2, 10001)]; counts with sum(1 for i in range(1, x+1) if L[i] <= B);
//   collections.Counter(L[2:]) for the occurrences.
const lpf10k = largestPrimeFactors(10_000);

describe('largest prime factors (sieve) against trial division', () => {
  test('single numbers', () => {
    const expected: [number, number][] = [
      [2, 2], [12, 3], [97, 97], [360, 5], [1001, 13], [9973, 9973], [9999, 101], [10000, 5],
      [8192, 2], [6561, 3], [2310, 11], [9991, 103],
    ];
    for (const [n, p] of expected) assert.equal(lpf10k[n], p, `lpf(${n})`);
    assert.equal(lpf10k[0], 0);
    assert.equal(lpf10k[1], 0);
  });

  test('the whole table: sums and prime count', () => {
    let sum10k = 0;
    for (const v of lpf10k) sum10k += v;
    assert.equal(sum10k, 10118280); // sum(L) for n ≤ 10000
    assert.equal(lpf10k.slice(0, 1001).reduce((a, b) => a + b, 0), 135946); // sum(L[:1001])
    assert.equal(primesFromTable(lpf10k).length, 1229); // π(10⁴)
  });

  test('B-smooth counts up to 10,000 (Ψ(10⁴, B))', () => {
    const expected: [number, number][] = [[2, 14], [3, 67], [5, 175], [7, 338], [11, 522], [13, 733], [19, 1169], [97, 3716], [100, 3716]];
    for (const [b, count] of expected) assert.equal(smoothNumbers(lpf10k, b).length, count, `B = ${b}`);
  });

  test('Ψ(x, B) at x = 1, 10, 100, 1000, 10000', () => {
    const at = [1, 10, 100, 1000, 10000];
    assert.deepEqual(smoothCounts(lpf10k, 3, at), [1, 7, 20, 40, 67]);
    assert.deepEqual(smoothCounts(lpf10k, 5, at), [1, 9, 34, 86, 175]);
    assert.deepEqual(smoothCounts(lpf10k, 7, at), [1, 10, 46, 141, 338]);
  });

  test('the 5-smooth numbers are OEIS A051037', () => {
    const s = smoothNumbers(lpf10k, 5);
    assert.deepEqual(s.slice(0, 20), [1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 18, 20, 24, 25, 27, 30, 32, 36]);
    assert.deepEqual(s.slice(-5), [9216, 9375, 9600, 9720, 10000]);
  });

  test('occurrences of each largest factor: 19 is the mode up to 10,000', () => {
    const { primes, counts } = largestFactorCounts(lpf10k);
    assert.equal(primes.length, 1229);
    const at = (p: number) => counts[primes.indexOf(p)];
    assert.equal(at(19), 224);
    assert.equal(at(23), 216);
    assert.equal(at(17), 212);
    assert.equal(at(13), 211);
    assert.equal(at(2), 13);
    assert.equal(at(3), 53);
    assert.equal(at(9973), 1);
    assert.equal(counts.reduce((a, b) => a + b, 0), 9999); // every number 2…10000 once
  });

  test('largestPrimeFactors rejects a bad limit', () => {
    assert.throws(() => largestPrimeFactors(0), /positive integer/);
    assert.throws(() => smoothCounts(lpf10k, 5, [20000]), /beyond the table/);
  });
});

describe('point thinning', () => {
  test('keeps the first point of each cell and every point in its own cell', () => {
    assert.deepEqual(thinToGrid([0, 0.1, 0.6, 5, 5.05, NaN], [0, 0.1, 0, 5, 5.05, 1], { xMin: 0, xMax: 10, yMin: 0, yMax: 10, columns: 10, rows: 10 }), [0, 3]);
    assert.deepEqual(thinToGrid([0, 0.1, 0.6], [0, 0.1, 0], { xMin: 0, xMax: 10, yMin: 0, yMax: 10, columns: 100, rows: 100 }), [0, 1, 2]);
  });
});

describe('/smooth numbers', () => {
  const opts = parseOptions(Options, {});

  test('defaults reproduce the notebook', () => {
    assert.equal(opts.max_n, 10_000);
    assert.equal(opts.b, 5);
    assert.equal(opts.counts_xmax, 500);
  });

  test('compute: primes, the list, the mode and the growth', () => {
    const d = computeSmooth(opts);
    assert.equal(d.primeCount, 1229);
    assert.equal(d.smooth.length, 175);
    assert.deepEqual(d.modal, { prime: 19, count: 224 });
    assert.deepEqual(d.growth.series.map((s) => s.bound), [2, 3, 5, 7, 11, 13]);
    assert.deepEqual(d.growth.series.map((s) => s.counts[s.counts.length - 1]), [14, 67, 175, 338, 522, 733]);
    assert.equal(d.growth.x[0], 1);
    assert.equal(d.growth.x[d.growth.x.length - 1], 10_000);
    assert.equal(d.growth.sqrtBound, 100);
    assert.equal(d.growth.sqrtFraction, 0.3716);
    const fr = d.growth.fractionByBound;
    assert.equal(fr.fraction[fr.bounds.indexOf(5)], 0.0175);
    assert.equal(fr.fraction[fr.fraction.length - 1], 1);
  });

  test('other limits: the mode moves (Python: 7 up to 1,000; 31 up to 50,000)', () => {
    assert.deepEqual(computeSmooth({ ...opts, max_n: 1000 }).modal, { prime: 7, count: 55 });
    assert.deepEqual(computeSmooth({ ...opts, max_n: 50_000 }).modal, { prime: 31, count: 591 });
  });

  test('limits name the option', () => {
    const message = (raw: Record<string, unknown>) => optionErrorMessage(Options, raw);
    assert.equal(message({ max_n: '99' }), 'max_n: must be at least 100');
    assert.equal(message({ max_n: '50001' }), 'max_n: must be at most 50000');
    assert.equal(message({ b: '1' }), 'b: must be at least 2');
    assert.equal(message({ bounds: '2,3,5000' }), 'bounds: must be at most 1000');
    assert.equal(message({ counts_xmax: '5' }), 'counts_xmax: must be at least 10');
    assert.match(message({ limit: '5' }), /^limit: unknown option; valid options are max_n, b, counts_xmax, bounds/);
    assert.throws(() => computeSmooth({ ...opts, max_n: 1000, b: 2000 }), (e: unknown) => e instanceof OptionError && e.message === 'b: must be at most max_n (1000)');
  });
});

describe('/smooth end to end', () => {
  test('runAnalysis renders every figure with the notebook defaults', async () => {
    assert.equal(getAnalysis('smooth'), smoothAnalysis);
    const r = await runAnalysis(getAnalysis('smooth'), {});
    assert.equal(r.model, null);
    assert.equal(r.seed, null);
    assert.deepEqual(r.figures.map((f) => f.name), ['largest-prime', 'cos-sqrt', 'smooth-list', 'max-prime-counts', 'smooth-growth']);
    const sizes: Record<string, { width: number; height: number }> = {
      'largest-prime': { width: 1200, height: 600 },
      'cos-sqrt': { width: 1200, height: 700 },
      'max-prime-counts': { width: 1200, height: 500 },
      'smooth-growth': { width: 1200, height: 520 },
    };
    for (const f of r.figures) {
      if (sizes[f.name]) await checkFigure(f.png, f.name, sizes[f.name]);
      else assert.ok(!(await decodePng(f.png)).isBlank(), f.name);
    }
    assert.equal(r.figures[3].title, '19 is the modal max prime factor');
    assert.match(r.figures[2].title, /175 5-smooth numbers|5-smooth numbers up to 10,000/);
    assert.match(r.explanation, /1,229 primes/);
    assert.match(r.explanation, /peaks at 19, the largest factor of 224 numbers/);
    assert.match(r.explanation, /`\/smooth max_n:50000`/);
    const counts = r.data['max-prime-counts'] as { modal_prime: number; primes: number[] };
    assert.equal(counts.modal_prime, 19);

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lab-smooth-'));
    try {
      const files = await writeResult(dir, r);
      assert.deepEqual(files.map((f) => path.basename(f)), ['largest-prime.png', 'cos-sqrt.png', 'smooth-list.png', 'max-prime-counts.png', 'smooth-growth.png', 'result.json', 'result.md']);
      const json = JSON.parse(await fs.readFile(path.join(dir, 'result.json'), 'utf8'));
      assert.equal(json.postUrl, 'https://mikexcohen.substack.com/p/smooth-numbers');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('a long list is cut in the figure and complete in the data; the suggestion changes', async () => {
    const r = await runAnalysis(getAnalysis('smooth'), { max_n: '1000', b: '97', bounds: '3,5', counts_xmax: '1000' });
    const list = r.data['smooth-list'] as { count: number; numbers: number[] };
    assert.equal(list.count, 665); // Python: 97-smooth numbers ≤ 1000
    assert.equal(list.numbers.length, list.count);
    assert.match(r.figures[2].alt, /first 300 shown/);
    assert.equal(r.figures[3].title, '7 is the modal max prime factor');
    assert.match(r.explanation, /`\/smooth max_n:50000`/);
    const big = computeSmooth(parseOptions(Options, { max_n: '50000', b: '7' }));
    assert.equal(big.smooth.length, 566); // Python: 7-smooth numbers ≤ 50000
    assert.match(smoothAnalysis.explain(big, parseOptions(Options, { max_n: '50000', b: '7' })), /`\/smooth b:11`/);
  });
});
