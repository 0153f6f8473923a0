/*
 * Cumulative histograms as the SDK exports them, merged and read: count,
 * percentiles (interpolated inside a bucket, clamped to the recorded min and
 * max), and how many values lay above a bucket boundary (exact when the
 * threshold is one of the boundaries).
 */

export interface HistogramSummary {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Bucket upper bounds; `counts` has one more entry (the +Inf bucket). */
  boundaries: number[];
  counts: number[];
}

export interface HistogramValue {
  readonly count: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly buckets: { readonly boundaries: readonly number[]; readonly counts: readonly number[] };
}

export function emptyHistogram(): HistogramSummary {
  return { count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, boundaries: [], counts: [] };
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Adds one exported data point into `into`; buckets with other boundaries than the first are kept out of percentiles. */
export function mergeHistogram(into: HistogramSummary, value: HistogramValue): void {
  if (value.count === 0) return;
  if (into.count === 0 && into.counts.length === 0) {
    into.boundaries = [...value.buckets.boundaries];
    into.counts = value.buckets.counts.map(() => 0);
  }
  into.count += value.count;
  into.sum += value.sum ?? 0;
  if (value.min !== undefined) into.min = Math.min(into.min, value.min);
  if (value.max !== undefined) into.max = Math.max(into.max, value.max);
  if (sameBoundaries(into.boundaries, value.buckets.boundaries)) {
    value.buckets.counts.forEach((count, index) => (into.counts[index] = (into.counts[index] ?? 0) + count));
  }
}

/** The value at `fraction` (0..1), or undefined for an empty histogram. */
export function percentile(histogram: HistogramSummary, fraction: number): number | undefined {
  const inBuckets = histogram.counts.reduce((total, count) => total + count, 0);
  if (inBuckets === 0) return undefined;
  const rank = fraction * inBuckets;
  let seen = 0;
  for (let index = 0; index < histogram.counts.length; index++) {
    const count = histogram.counts[index]!;
    if (count === 0 || seen + count < rank) {
      seen += count;
      continue;
    }
    const lower = Math.max(index === 0 ? histogram.min : histogram.boundaries[index - 1]!, histogram.min);
    const upper = Math.min(index < histogram.boundaries.length ? histogram.boundaries[index]! : histogram.max, histogram.max);
    const within = count === 0 ? 0 : (rank - seen) / count;
    return clamp(lower + (upper - lower) * within, histogram.min, histogram.max);
  }
  return histogram.max;
}

function clamp(value: number, low: number, high: number): number {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return value;
  return Math.min(high, Math.max(low, value));
}

/** How many recorded values were greater than `threshold`: exact when `threshold` is a bucket boundary (or below every value). */
export function countAbove(histogram: HistogramSummary, threshold: number): number {
  if (histogram.count === 0) return 0;
  if (histogram.min > threshold) return histogram.count;
  if (histogram.max <= threshold) return 0;
  let above = 0;
  for (let index = 0; index < histogram.counts.length; index++) {
    const lower = index === 0 ? Number.NEGATIVE_INFINITY : histogram.boundaries[index - 1]!;
    if (lower >= threshold) above += histogram.counts[index]!;
  }
  return above;
}

/** How many recorded values were at most `bound` (a bucket boundary). */
export function countAtMost(histogram: HistogramSummary, bound: number): number {
  if (histogram.count === 0) return 0;
  if (histogram.max <= bound) return histogram.count;
  let within = 0;
  for (let index = 0; index < histogram.boundaries.length; index++) {
    if (histogram.boundaries[index]! > bound) break;
    within += histogram.counts[index]!;
  }
  return within;
}
