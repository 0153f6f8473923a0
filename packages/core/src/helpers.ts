/*
 * Small helpers every protocol package needs, written once.
 */
import { performance } from 'node:perf_hooks';

/**
 * Seconds from a `performance.now()` timestamp to `to` (default: now), never
 * negative: the unit of every duration histogram.
 */
export function seconds(from: number, to: number = performance.now()): number {
  return Math.max(0, to - from) / 1000;
}

/** Whether a value is a thenable (a promise of any library), without calling anything on it but the `then` getter. */
export function isPromiseLike<T = unknown>(value: unknown): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The CommonJS exports of a module as a patch receives them: the `default`
 * of an ES module namespace (what import-in-the-middle hands over for a CJS
 * library imported from ESM), else the exports themselves.
 */
export function moduleExports<T = any>(exports: unknown): T {
  if (exports !== null && typeof exports === 'object' && (exports as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Module') {
    const unwrapped = (exports as { default?: unknown }).default;
    if (unwrapped !== undefined && unwrapped !== null) return unwrapped as T;
  }
  return exports as T;
}
