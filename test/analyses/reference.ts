// Reference formulas the analysis tests check against, written out independently of the
// analyses' own helpers.

/** log softmax(row)[id], with the max subtracted first for stability. */
export function logSoftmaxAt(row: Float32Array, id: number): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return row[id] - max - Math.log(sum);
}
