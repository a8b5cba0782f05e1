// Safetensors reading and writing (https://github.com/huggingface/safetensors, format section):
// [u64 little-endian header length N][N bytes of JSON header][raw little-endian tensor bytes].
// The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets relative
// to the byte after the header) and may hold a `__metadata__` map of strings.
//
// Floats (F32, F16, BF16) are read as Float32Array; integer tensors (I64, I32) keep their type
// so `input_ids` round-trip exactly. Tensors are read one at a time straight from the file, so a
// 6 GB gpt2-xl never needs one buffer the size of the file (Node 20 caps a Buffer at 4 GiB).
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type ReadableDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';
export type WritableDtype = 'F32' | 'F16' | 'BF16' | 'I64';

const BYTES_PER_ELEMENT: Record<ReadableDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };

/** One read/write call moves at most this much (Node refuses ≥ 2 GiB in one call). */
const MAX_IO_BYTES = 1 << 30;

/** Refuse headers beyond this: real ones are a few hundred KB even for gpt2-xl. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

if (os.endianness() !== 'LE') {
  // Typed arrays use the host byte order; the format is little-endian.
  throw new Error('safetensors.ts supports little-endian hosts only');
}

export interface TensorInfo {
  name: string;
  dtype: ReadableDtype;
  dims: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  metadata: Record<string, string>;
  /** In file order. */
  tensors: Map<string, TensorInfo>;
}

export type TensorData = Float32Array | BigInt64Array | Int32Array;

export interface LoadedTensor {
  dtype: ReadableDtype;
  dims: number[];
  /** Float32Array for F32/F16/BF16, BigInt64Array for I64, Int32Array for I32. */
  data: TensorData;
}

export class SafetensorsError extends Error {
  constructor(file: string, message: string) {
    super(`${path.basename(file)}: ${message} (${file})`);
    this.name = 'SafetensorsError';
  }
}

// ---------------------------------------------------------------------------------------------
// Half-precision conversion

let f16Table: Float32Array | undefined;

/** All 65 536 half-precision values as float32, built once (256 KB): decoding is a table lookup. */
function halfToFloatTable(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * frac * 2 ** -24;
    else if (exp === 31) table[h] = frac ? NaN : sign * Infinity;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return (f16Table = table);
}

export function f16ToF32(src: Uint16Array): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

export function bf16ToF32(src: Uint16Array): Float32Array {
  // bfloat16 is the top half of a float32.
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}

/** float32 → IEEE half, round to nearest even; overflow → ±Inf, tiny values → subnormals/±0. */
export function f32ToF16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); // Inf or a quiet NaN
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000; // implicit leading 1
      const shift = 14 - e;
      let half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && half & 1)) half++;
      out[i] = sign | half;
    } else {
      let half = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // may carry into the exponent: correct
      out[i] = sign | half;
    }
  }
  return out;
}

/** float32 → bfloat16, round to nearest even; NaN stays NaN. */
export function f32ToBf16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i];
    if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) out[i] = (x >>> 16) | 0x40;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

function parseHeader(file: string, json: string, dataStart: number, fileSize: number): SafetensorsHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new SafetensorsError(file, `header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SafetensorsError(file, 'header is not a JSON object');
  }
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  const dataSize = fileSize - dataStart;
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) {
        throw new SafetensorsError(file, '__metadata__ is not an object of strings');
      }
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new SafetensorsError(file, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw new SafetensorsError(file, `tensor "${name}": entry is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in BYTES_PER_ELEMENT)) {
      throw new SafetensorsError(
        file,
        `tensor "${name}": dtype ${JSON.stringify(e.dtype)} is not supported (supported: ${Object.keys(BYTES_PER_ELEMENT).join(', ')})`,
      );
    }
    const dtype = e.dtype as ReadableDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, `tensor "${name}": shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    }
    const dims = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1]) {
      throw new SafetensorsError(file, `tensor "${name}": data_offsets ${JSON.stringify(off)} must be [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataSize) {
      throw new SafetensorsError(
        file,
        `tensor "${name}": data_offsets [${begin}, ${end}] run past the end of the data (${dataSize} bytes); the file is truncated or the header is wrong`,
      );
    }
    const expected = dims.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dtype];
    if (end - begin !== expected) {
      throw new SafetensorsError(
        file,
        `tensor "${name}": shape [${dims.join(', ')}] × ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    tensors.set(name, { name, dtype, dims, begin: dataStart + begin, end: dataStart + end });
  }
  const sorted = [...tensors.values()].filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      throw new SafetensorsError(file, `tensors "${sorted[i - 1].name}" and "${sorted[i].name}" have overlapping data_offsets`);
    }
  }
  return { file, metadata, tensors };
}

async function readExactly(fh: fs.FileHandle, target: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await fh.read(target, done, Math.min(target.length - done, MAX_IO_BYTES), position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

/** Parse and validate the header only (no tensor data is read). */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const fh = await fs.open(file, 'r');
  try {
    return await readHeaderFrom(fh, file);
  } finally {
    await fh.close();
  }
}

async function readHeaderFrom(fh: fs.FileHandle, file: string): Promise<SafetensorsHeader> {
  const { size } = await fh.stat();
  if (size < 8) throw new SafetensorsError(file, `file is ${size} bytes, too short for the 8-byte header length; it is truncated`);
  const lenBytes = Buffer.alloc(8);
  await readExactly(fh, lenBytes, 0);
  const headerLen = lenBytes.readBigUInt64LE(0);
  if (headerLen > BigInt(size - 8)) {
    throw new SafetensorsError(file, `header length ${headerLen} is beyond the file (${size} bytes); the file is truncated or not safetensors`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(file, `header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const n = Number(headerLen);
  const headerBytes = Buffer.alloc(n);
  await readExactly(fh, headerBytes, 8);
  return parseHeader(file, headerBytes.toString('utf8'), 8 + n, size);
}

function decode(info: TensorInfo, bytes: Uint8Array): TensorData {
  // `bytes` is a fresh, aligned buffer, so typed views over it are free.
  switch (info.dtype) {
    case 'F32':
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    case 'F16':
      return f16ToF32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2));
    case 'BF16':
      return bf16ToF32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2));
    case 'I64':
      return new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    case 'I32':
      return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
}

/**
 * An open safetensors file: header parsed and validated, tensors read on demand.
 * Lets a caller load a checkpoint tensor by tensor (or re-read one later) without holding the file.
 */
export class SafetensorsFile {
  private constructor(
    private readonly fh: fs.FileHandle,
    readonly header: SafetensorsHeader,
  ) {}

  static async open(file: string): Promise<SafetensorsFile> {
    const fh = await fs.open(file, 'r');
    try {
      return new SafetensorsFile(fh, await readHeaderFrom(fh, file));
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get file(): string {
    return this.header.file;
  }

  async read(name: string): Promise<LoadedTensor> {
    const info = this.header.tensors.get(name);
    if (!info) throw new SafetensorsError(this.file, `no tensor named "${name}"`);
    const bytes = new Uint8Array(info.end - info.begin);
    try {
      await readExactly(this.fh, bytes, info.begin);
    } catch (err) {
      throw new SafetensorsError(this.file, `tensor "${name}": ${(err as Error).message}`);
    }
    return { dtype: info.dtype, dims: [...info.dims], data: decode(info, bytes) };
  }

  /**
   * `count` elements of a tensor from element `from` (row-major), read synchronously: for the few
   * embedding rows a run gathers, where an awaited read per row would cost more than the read.
   */
  readRangeSync(name: string, from: number, count: number): TensorData {
    const info = this.header.tensors.get(name);
    if (!info) throw new SafetensorsError(this.file, `no tensor named "${name}"`);
    const width = BYTES_PER_ELEMENT[info.dtype];
    if (from < 0 || count < 0 || info.begin + (from + count) * width > info.end) {
      throw new SafetensorsError(this.file, `tensor "${name}": elements ${from}..${from + count} are outside it`);
    }
    const bytes = new Uint8Array(count * width);
    let done = 0;
    while (done < bytes.length) {
      const n = fsSync.readSync(this.fh.fd, bytes, done, bytes.length - done, info.begin + from * width + done);
      if (n === 0) throw new SafetensorsError(this.file, `tensor "${name}": unexpected end of file at byte ${info.begin + from * width + done}`);
      done += n;
    }
    return decode(info, bytes);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Read every tensor of a file. */
export async function readSafetensors(file: string): Promise<{ metadata: Record<string, string>; tensors: Map<string, LoadedTensor> }> {
  const st = await SafetensorsFile.open(file);
  try {
    const tensors = new Map<string, LoadedTensor>();
    for (const name of st.header.tensors.keys()) tensors.set(name, await st.read(name));
    return { metadata: st.header.metadata, tensors };
  } finally {
    await st.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface TensorToWrite {
  dtype: WritableDtype;
  dims: number[];
  /** Float values for F32/F16/BF16 (converted on write); integers for I64. */
  data: Float32Array | BigInt64Array | Int32Array | ArrayLike<number>;
}

function encode(name: string, t: TensorToWrite): Uint8Array {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (!t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`writeSafetensors: tensor "${name}" has bad dims [${t.dims.join(', ')}]`);
  }
  if (t.data.length !== count) {
    throw new Error(`writeSafetensors: tensor "${name}" has ${t.data.length} values but dims [${t.dims.join(', ')}] need ${count}`);
  }
  const asBytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (t.dtype === 'I64') {
    if (t.data instanceof BigInt64Array) return asBytes(t.data);
    const out = new BigInt64Array(count);
    for (let i = 0; i < count; i++) {
      const v = (t.data as ArrayLike<number>)[i];
      if (!Number.isSafeInteger(v)) throw new Error(`writeSafetensors: tensor "${name}" (I64) holds a non-integer ${v} at ${i}`);
      out[i] = BigInt(v);
    }
    return asBytes(out);
  }
  if (t.data instanceof BigInt64Array) throw new Error(`writeSafetensors: tensor "${name}" is ${t.dtype} but holds BigInt64 data`);
  const f32 = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
  if (t.dtype === 'F32') return asBytes(f32);
  if (t.dtype === 'F16') return asBytes(f32ToF16(f32));
  if (t.dtype === 'BF16') return asBytes(f32ToBf16(f32));
  throw new Error(`writeSafetensors: tensor "${name}" has unsupported dtype ${String(t.dtype)} (F32, F16, BF16, I64)`);
}

async function writeAll(fh: fs.FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.byteLength; ) {
    const { bytesWritten } = await fh.write(bytes, done, Math.min(bytes.byteLength - done, MAX_IO_BYTES));
    done += bytesWritten;
  }
}

/**
 * Write a safetensors file. Written to a temporary name and renamed into place, so readers never
 * see a half-written file. The header is padded with spaces to 8 bytes, as the reference writer does.
 */
export async function writeSafetensors(
  file: string,
  tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Promise<void> {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error('writeSafetensors: "__metadata__" is reserved and cannot name a tensor');
    const bytes = encode(name, t);
    header[name] = { dtype: t.dtype, shape: t.dims, data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));

  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fh = await fs.open(tmp, 'w');
  try {
    for (const b of [len, json, ...blobs]) await writeAll(fh, b);
    await fh.close();
    await fs.rename(tmp, file);
  } catch (err) {
    await fh.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
