import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  bf16ToF32,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  readSafetensors,
  readSafetensorsHeader,
  SafetensorsFile,
  writeSafetensors,
} from '../../src/llm/safetensors.ts';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'st-test-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const values = Float32Array.from([0, -0, 1, -2.5, 0.1, 3.14159, 65504, 1e-6, -123.456, 4321.5]);

describe('safetensors round trip', () => {
  test('F32 is exact, with metadata and an I64 tensor', async () => {
    const file = path.join(tmp, 'f32.safetensors');
    await writeSafetensors(
      file,
      {
        w: { dtype: 'F32', dims: [2, 5], data: values },
        input_ids: { dtype: 'I64', dims: [1, 3], data: [40, 588, 50256] },
        scalar: { dtype: 'F32', dims: [], data: [7] },
      },
      { format: 'pt', note: 'hi' },
    );
    const { metadata, tensors } = await readSafetensors(file);
    assert.deepEqual(metadata, { format: 'pt', note: 'hi' });
    assert.deepEqual(tensors.get('w')!.dims, [2, 5]);
    assert.deepEqual([...tensors.get('w')!.data], [...values]);
    assert.equal(tensors.get('input_ids')!.dtype, 'I64');
    assert.deepEqual([...(tensors.get('input_ids')!.data as BigInt64Array)], [40n, 588n, 50256n]);
    assert.deepEqual(tensors.get('scalar')!.dims, []);
    assert.equal(tensors.get('scalar')!.data[0], 7);
    // The header length is a multiple of 8, as the reference writer pads it.
    const bytes = await fs.readFile(file);
    assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0);
  });

  for (const [dtype, relTol] of [['F16', 2 ** -11], ['BF16', 2 ** -8]] as const) {
    test(`${dtype} round-trips within its precision`, async () => {
      const file = path.join(tmp, `${dtype}.safetensors`);
      await writeSafetensors(file, { w: { dtype, dims: [10], data: values } });
      const header = await readSafetensorsHeader(file);
      assert.equal(header.tensors.get('w')!.dtype, dtype);
      assert.equal(header.tensors.get('w')!.end - header.tensors.get('w')!.begin, 20);
      const back = (await readSafetensors(file)).tensors.get('w')!.data as Float32Array;
      for (let i = 0; i < values.length; i++) {
        if (dtype === 'F16' && Math.abs(values[i]) < 6.2e-5) {
          assert.ok(Math.abs(back[i] - values[i]) <= 2 ** -25, `subnormal ${values[i]} → ${back[i]}`);
        } else {
          assert.ok(Math.abs(back[i] - values[i]) <= relTol * Math.abs(values[i]), `${values[i]} → ${back[i]}`);
        }
      }
    });
  }

  test('half conversions handle ties, overflow, infinities and NaN', () => {
    // 1 + 2^-11 is exactly between two halves: ties go to the even one (1).
    const f = Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, -Infinity, NaN, 2 ** -24, 2 ** -26]);
    const h = f16ToF32(f32ToF16(f));
    assert.equal(h[0], 1);
    assert.equal(h[1], 1 + 2 * 2 ** -10);
    assert.equal(h[2], Infinity);
    assert.equal(h[3], -Infinity);
    assert.ok(Number.isNaN(h[4]));
    assert.equal(h[5], 2 ** -24); // smallest subnormal survives
    assert.equal(h[6], 0);
    const b = bf16ToF32(f32ToBf16(Float32Array.from([1 + 2 ** -8, 1 + 3 * 2 ** -8, NaN, 3e38])));
    assert.equal(b[0], 1);
    assert.equal(b[1], 1 + 2 ** -6);
    assert.ok(Number.isNaN(b[2]));
    assert.ok(Math.abs(b[3] - 3e38) / 3e38 < 2 ** -8);
  });

  test('the writer rejects a value count that does not match the dims', async () => {
    await assert.rejects(
      writeSafetensors(path.join(tmp, 'bad.safetensors'), { w: { dtype: 'F32', dims: [3, 2], data: [1, 2, 3] } }),
      /tensor "w" has 3 values but dims \[3, 2\] need 6/,
    );
  });
});

/** Build a file by hand: `header` is the JSON object (or raw text), followed by `dataBytes` bytes. */
async function rawFile(name: string, header: unknown, dataBytes: number, lengthOverride?: bigint): Promise<string> {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  const file = path.join(tmp, name);
  await fs.writeFile(file, Buffer.concat([len, json, Buffer.alloc(dataBytes)]));
  return file;
}

describe('synchronous range reads', () => {
  test('a range of elements reads as the same values, F32 and F16; a range outside the tensor is an error', async () => {
    const file = path.join(tmp, 'range.safetensors');
    await writeSafetensors(file, { a: { dtype: 'F32', dims: [2, 5], data: values }, h: { dtype: 'F16', dims: [10], data: values } });
    const st = await SafetensorsFile.open(file);
    try {
      assert.deepEqual([...st.readRangeSync('a', 5, 5)], [...values.subarray(5)]);
      const half = (await st.read('h')).data as Float32Array;
      assert.deepEqual([...st.readRangeSync('h', 3, 4)], [...half.subarray(3, 7)]);
      assert.throws(() => st.readRangeSync('a', 8, 3), /tensor "a": elements 8\.\.11 are outside it/);
      assert.throws(() => st.readRangeSync('b', 0, 1), /no tensor named "b"/);
    } finally {
      await st.close();
    }
  });
});

describe('malformed files give errors naming the file and tensor', () => {
  test('truncated before the header length', async () => {
    const file = path.join(tmp, 'short.safetensors');
    await fs.writeFile(file, Buffer.from([1, 2, 3]));
    await assert.rejects(readSafetensors(file), /short\.safetensors: file is 3 bytes, too short for the 8-byte header length/);
  });

  test('header length beyond the file', async () => {
    const file = await rawFile('long-header.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4, 10_000n);
    await assert.rejects(readSafetensors(file), /long-header\.safetensors: header length 10000 is beyond the file/);
  });

  test('header that is not JSON', async () => {
    const file = await rawFile('bad-json.safetensors', '{"a": {"dtype": ', 0);
    await assert.rejects(readSafetensors(file), /bad-json\.safetensors: header is not valid JSON/);
  });

  test('offsets past the end of the data (truncated data)', async () => {
    const file = await rawFile('past-end.safetensors', { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8);
    await assert.rejects(readSafetensors(file), /past-end\.safetensors: tensor "w": data_offsets \[0, 16\] run past the end of the data \(8 bytes\)/);
  });

  test('overlapping offsets', async () => {
    const file = await rawFile(
      'overlap.safetensors',
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      12,
    );
    await assert.rejects(readSafetensors(file), /overlap\.safetensors: tensors "a" and "b" have overlapping data_offsets/);
  });

  test('shape × dtype size different from the byte length', async () => {
    const file = await rawFile('size.safetensors', { w: { dtype: 'F16', shape: [3, 2], data_offsets: [0, 24] } }, 24);
    await assert.rejects(readSafetensors(file), /size\.safetensors: tensor "w": shape \[3, 2\] × F16 needs 12 bytes but data_offsets \[0, 24\] hold 24/);
  });

  test('unsupported dtype and malformed offsets', async () => {
    const f1 = await rawFile('dtype.safetensors', { w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, 8);
    await assert.rejects(readSafetensors(f1), /dtype\.safetensors: tensor "w": dtype "F64" is not supported/);
    const f2 = await rawFile('offsets.safetensors', { w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8);
    await assert.rejects(readSafetensors(f2), /offsets\.safetensors: tensor "w": data_offsets \[8,4\] must be \[begin, end\]/);
  });
});
