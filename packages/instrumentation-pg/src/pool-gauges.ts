/*
 * The pool gauges (db.client.connection.count, idle.max, idle.min, max,
 * pending_requests), read from each pool's own counters at collection time in
 * one batch callback: exact by construction, nothing recorded per checkout.
 * `used` is every connection of the pool that is not idle (checked out, or
 * being opened for a waiting request), so used + idle = pool.totalCount.
 * Pools that share a name are added up; a series whose pools are all gone is
 * reported as 0 once, then dropped.
 */
import type { Attributes, BatchObservableResult, Observable } from '@opentelemetry/api';
import { attributesKey, type DbConnectionInstruments } from '@connmetrics/core';
import type { PgPool } from './internal-types';
import type { PoolState } from './pool-registry';

interface Series {
  readonly instrument: Observable;
  readonly attributes: Attributes;
  value: number;
}

const POOL_DEFAULT_MAX = 10;

function count(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

export class PoolGauges {
  private previous = new Map<string, Series>();

  observe(
    result: BatchObservableResult,
    instruments: DbConnectionInstruments,
    pools: Iterable<readonly [PgPool, PoolState]>,
  ): void {
    const current = new Map<string, Series>();
    const add = (instrument: Observable, name: string, attributes: Attributes, value: number) => {
      const key = `${name}\u0000${attributesKey(attributes)}`;
      const series = current.get(key);
      if (series) series.value += value;
      else current.set(key, { instrument, attributes, value });
    };
    for (const [pool, state] of pools) {
      const { pool: poolAttributes, used, idle } = state.attributes;
      const total = count(pool.totalCount, 0);
      const idleCount = Math.min(count(pool.idleCount, 0), total);
      // pg-pool applies its defaults to `options` (max 10, min 0).
      const max = count(pool.options?.max, POOL_DEFAULT_MAX);
      add(instruments.count, 'count', used, total - idleCount);
      add(instruments.count, 'count', idle, idleCount);
      add(instruments.pendingRequests, 'pending', poolAttributes, count(pool.waitingCount, 0));
      add(instruments.max, 'max', poolAttributes, max);
      // pg-pool lets every connection it may open sit idle, and keeps `min` of them open.
      add(instruments.idleMax, 'idle.max', poolAttributes, max);
      add(instruments.idleMin, 'idle.min', poolAttributes, count(pool.options?.min, 0));
    }
    for (const [key, series] of this.previous) {
      if (!current.has(key)) result.observe(series.instrument, 0, series.attributes);
    }
    for (const series of current.values()) result.observe(series.instrument, series.value, series.attributes);
    this.previous = current;
  }
}
