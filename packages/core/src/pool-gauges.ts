/*
 * The pool gauges (db.client.connection.count, idle.max, idle.min, max,
 * pending_requests), read from each pool's own counters at collection time in
 * one batch callback: exact by construction, nothing recorded per checkout.
 * `used` is every connection of the pool that is not idle (checked out, or
 * being opened for a waiting request), so used + idle = the pool's total.
 * Pools that share a name are added up; a series whose pools are all gone is
 * reported as 0 once, then dropped.
 */
import type { Attributes, BatchObservableResult, Observable } from '@opentelemetry/api';
import { attributesKey } from './attributes';
import type { DbConnectionInstruments } from './instruments';
import type { PoolAttributes } from './pool-registry';

/** A pool's own numbers at one collection, as the protocol package reads them. */
export interface PoolCounts {
  /** Connections open or being opened. */
  readonly total: number;
  readonly idle: number;
  /** Requests waiting for a connection. */
  readonly pending: number;
  /** The most connections the pool opens; undefined when it has no limit (then not reported). */
  readonly max?: number;
  /** The most idle connections it keeps. */
  readonly idleMax?: number;
  /** The fewest idle connections it keeps open. */
  readonly idleMin?: number;
}

interface Series {
  readonly instrument: Observable;
  readonly attributes: Attributes;
  value: number;
}

/** A count as a non-negative number, else the fallback. */
export function poolCount(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

export class PoolGauges {
  private previous = new Map<string, Series>();

  observe(
    result: BatchObservableResult,
    instruments: DbConnectionInstruments,
    pools: Iterable<readonly [PoolAttributes, PoolCounts]>,
  ): void {
    const current = new Map<string, Series>();
    const add = (instrument: Observable, name: string, attributes: Attributes, value: number | undefined) => {
      if (value === undefined) return;
      const key = `${name}\u0000${attributesKey(attributes)}`;
      const series = current.get(key);
      if (series) series.value += value;
      else current.set(key, { instrument, attributes, value });
    };
    for (const [{ pool, used, idle }, counts] of pools) {
      const total = poolCount(counts.total, 0);
      const idleCount = Math.min(poolCount(counts.idle, 0), total);
      add(instruments.count, 'count', used, total - idleCount);
      add(instruments.count, 'count', idle, idleCount);
      add(instruments.pendingRequests, 'pending', pool, poolCount(counts.pending, 0));
      add(instruments.max, 'max', pool, counts.max);
      add(instruments.idleMax, 'idle.max', pool, counts.idleMax);
      add(instruments.idleMin, 'idle.min', pool, counts.idleMin);
    }
    for (const [key, series] of this.previous) {
      if (!current.has(key)) result.observe(series.instrument, 0, series.attributes);
    }
    for (const series of current.values()) result.observe(series.instrument, series.value, series.attributes);
    this.previous = current;
  }
}
