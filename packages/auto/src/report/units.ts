/** Durations as the report prints them: two significant digits, in s, ms or µs. */
export function seconds(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (value >= 1) return `${Number(value.toPrecision(2))} s`;
  if (value >= 0.001) return `${Number((value * 1000).toPrecision(2))} ms`;
  return `${Number((value * 1e6).toPrecision(2))} µs`;
}
