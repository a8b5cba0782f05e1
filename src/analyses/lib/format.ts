// Numbers as the explanations and figure titles print them.

/** Fixed decimals without "-0.00" for values that round to zero. */
export function fixed(v: number, digits = 2): string {
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** Thousands separators: 1,234,567. */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
