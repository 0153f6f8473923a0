/*
 * What this package reads of a pg-pool Pool beside its events: its own
 * counts, for the pool gauges, and the timeouts its options set. pg-pool
 * applies its defaults to `options` (max 10, min 0).
 */
import { poolCount, type PoolCounts } from '@connmetrics/core';
import type { PgPool } from './internal-types';

const POOL_DEFAULT_MAX = 10;

export function pgPoolCounts(pool: PgPool): PoolCounts {
  const max = poolCount(pool.options?.max, POOL_DEFAULT_MAX);
  return {
    total: pool.totalCount,
    idle: pool.idleCount,
    pending: poolCount(pool.waitingCount, 0),
    max,
    // pg-pool lets every connection it may open sit idle, and keeps `min` of them open.
    idleMax: max,
    idleMin: poolCount(pool.options?.min, 0),
  };
}

function millis(value: unknown): number {
  return typeof value === 'number' && value > 0 ? value : 0;
}

/** `connectionTimeoutMillis`, 0 when not set. */
export function connectionTimeoutOf(pool: PgPool | undefined): number {
  return millis(pool?.options?.connectionTimeoutMillis);
}

/** `idleTimeoutMillis`, 0 when not set. */
export function idleTimeoutOf(pool: PgPool | undefined): number {
  return millis(pool?.options?.idleTimeoutMillis);
}
