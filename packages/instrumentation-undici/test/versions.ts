import * as undici7 from 'undici';
import * as undici6 from 'undici6';
import * as undici8 from 'undici8';

export type Undici = typeof undici7;

/** Every supported major of npm undici, for describe.each. */
export const UNDICI_VERSIONS: ReadonlyArray<[string, Undici]> = [
  ['undici 6', undici6 as unknown as Undici],
  ['undici 7', undici7],
  ['undici 8', undici8 as unknown as Undici],
];

/** Counts of a histogram point in the buckets at or below `boundary` (`le`). */
export function countAtMost(value: unknown, boundary: number): number {
  const { buckets } = value as { buckets: { boundaries: number[]; counts: number[] } };
  return buckets.boundaries.reduce((sum, b, index) => (b <= boundary ? sum + buckets.counts[index]! : sum), 0);
}
