// Dense scatter clouds thinned for drawing: of several points that land in the same small cell
// of the plot (a fraction of a pixel), only the first is drawn. The picture is unchanged — the
// dropped points would be painted on the same pixels — but the chart draws far fewer markers
// (100,000 largest prime factors crowd a few thousand cells along the floor of the plot).

/**
 * Indices of the points to draw: the first point of each cell when [xMin, xMax] is cut into
 * `columns` cells and [yMin, yMax] into `rows`. Non-finite points are dropped.
 */
export function thinToGrid(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  grid: { xMin: number; xMax: number; yMin: number; yMax: number; columns: number; rows: number },
): number[] {
  if (x.length !== y.length) throw new Error(`thinToGrid: ${x.length} x values for ${y.length} y values`);
  const { xMin, xMax, yMin, yMax, columns, rows } = grid;
  const sx = columns / (xMax - xMin || 1);
  const sy = rows / (yMax - yMin || 1);
  const seen = new Set<number>();
  const keep: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
    const cx = Math.floor((x[i] - xMin) * sx);
    const cy = Math.floor((y[i] - yMin) * sy);
    const key = cy * (columns + 1) + cx;
    if (seen.has(key)) continue;
    seen.add(key);
    keep.push(i);
  }
  return keep;
}
