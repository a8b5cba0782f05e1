// Axis numbers for the figures Chart.js does not draw (matrix images, colour bars).

/** About `count` round tick values covering [lo, hi] (1–2–5 steps), all inside the range. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  const eps = step * 1e-9;
  for (let v = Math.ceil((lo - eps) / step) * step; v <= hi + eps; v += step) {
    ticks.push(Math.abs(v) < eps ? 0 : v);
  }
  return ticks;
}

/** Short label for a tick or value: 4 significant digits at most, exponent when tiny or huge. */
export function formatNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(0, digits - 2)).replace('e+', 'e');
  return String(Number(v.toPrecision(digits)));
}

const superscripts: Record<string, string> = {
  '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹',
};

/** "10⁴" for powers of ten on log axes; '' for the minor ticks in between (matplotlib's look). */
export function powerOfTenLabel(v: number): string {
  const e = Math.log10(v);
  if (Math.abs(e - Math.round(e)) > 1e-9) return '';
  const n = Math.round(e);
  if (n >= 0 && n <= 3) return String(10 ** n);
  return '10' + String(n).split('').map((c) => superscripts[c]).join('');
}
