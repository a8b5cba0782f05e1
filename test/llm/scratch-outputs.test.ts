// ScratchOutputs lends the same output buffers to block after block; what a run returns must
// never be one of them unless the binding copied it, or a later block would overwrite it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ScratchOutputs } from '../../src/llm/scratch-outputs.ts';

/** A stand-in session: writes `value` into each fetched buffer, and returns a copy of it (as onnxruntime-node does) or the buffer itself. */
function fakeSession(outputs: Record<string, number[]>, copies: boolean) {
  const lent: Array<Record<string, ort.Tensor | null>> = [];
  let value = 0;
  const session = {
    outputNames: Object.keys(outputs),
    async run(_feeds: unknown, fetches: Record<string, ort.Tensor | null>) {
      lent.push(fetches);
      value++;
      const out: Record<string, ort.Tensor> = {};
      for (const [name, dims] of Object.entries(outputs)) {
        const given = fetches[name];
        const size = dims.reduce((a, b) => a * b, 1);
        const data = (given?.data as Float32Array | undefined) ?? new Float32Array(size);
        data.fill(value);
        out[name] = copies || !given ? new ort.Tensor('float32', new Float32Array(data), dims) : given;
      }
      return out;
    },
  };
  return { session: session as unknown as ort.InferenceSession, lent };
}

const dims = (shapes: Record<string, number[]>) => (name: string) => shapes[name] ?? null;

test('buffers are lent again to the next block when the binding returned copies', async () => {
  const shapes = { a: [1, 4, 8], b: [1, 2, 3] };
  const { session, lent } = fakeSession({ ...shapes, c: [5] }, true);
  const scratch = new ScratchOutputs();
  const first = await scratch.run(session, {}, dims(shapes));
  const second = await scratch.run(session, {}, dims(shapes));
  assert.equal(lent[0].c, null, 'an output with no known shape is left to onnxruntime');
  assert.deepEqual(lent[0].a!.dims, [1, 4, 8]);
  assert.equal(lent[1].a!.data, lent[0].a!.data, 'the same buffer, reused');
  assert.equal(lent[1].b!.data, lent[0].b!.data);
  assert.ok((first.a.data as Float32Array).every((v) => v === 1), "the first block's result is its own copy");
  assert.ok((second.a.data as Float32Array).every((v) => v === 2));
});

test('a buffer the binding returned without copying is never lent again', async () => {
  const shapes = { a: [2, 3] };
  const { session, lent } = fakeSession(shapes, false);
  const scratch = new ScratchOutputs();
  const first = await scratch.run(session, {}, dims(shapes));
  await scratch.run(session, {}, dims(shapes));
  assert.notEqual(lent[1].a!.data, lent[0].a!.data);
  assert.ok((first.a.data as Float32Array).every((v) => v === 1), 'the first result was not overwritten');
});
