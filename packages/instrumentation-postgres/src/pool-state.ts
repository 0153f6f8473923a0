/*
 * A postgres.js pool (one per `postgres()` call, and one per
 * `sql.listen()`/`sql.subscribe()` connection, which postgres.js makes with
 * its own `postgres()`), as its slots see it: postgres.js has no pool object,
 * so this state stands for it in core's PoolRegistry. Every instance of the
 * instrumentation sees the same `queues` for a pool: they are what the pool
 * is claimed by.
 */
import { poolCount, type DbServerTarget, type PoolCounts } from '@connmetrics/core';
import type { PostgresOptions, PostgresQueues } from './postgres-shapes';
import { defaultTarget } from './server-target';

/** What a slot tells its pool's gauges. */
export interface SlotView {
  /** Open (ready) and idle in the pool. */
  readonly idle: boolean;
  /** Open or opening and not idle: running queries, reserved, in a transaction, or connecting for a query. */
  readonly used: boolean;
}

export class PoolState {
  readonly slots = new Set<SlotView>();
  readonly target: DbServerTarget;
  /**
   * Whether it ever connected: only then is it reported (every `postgres()`
   * also makes a pool for `sql.subscribe()` that connects only when used).
   */
  connected = false;
  /** The application ended (or closed) the pool and none of its connections is open: not reported. */
  endRequested = false;

  constructor(
    readonly options: PostgresOptions,
    /** index.js gives every slot of one `postgres()` the same queues. */
    readonly queues: PostgresQueues,
  ) {
    this.target = defaultTarget(options);
  }

  /** postgres.js's `max`: the slots it made. */
  get max(): number {
    return poolCount(this.options.max, this.slots.size);
  }

  /** `idle_timeout` in milliseconds, when it is a number of seconds. */
  get idleTimeoutMs(): number | undefined {
    const value = this.options.idle_timeout;
    return typeof value === 'number' && value > 0 ? value * 1000 : undefined;
  }

  /** What the gauges read; undefined while not reported. Its queue of waiting queries is private: no pending count. */
  counts(): PoolCounts | undefined {
    if (!this.connected) return undefined;
    let idle = 0;
    let used = 0;
    for (const slot of this.slots) {
      if (slot.idle) idle += 1;
      else if (slot.used) used += 1;
    }
    if (this.endRequested && idle === 0 && used === 0) return undefined;
    // postgres.js lets every connection sit idle and keeps none open when idle: idle.max = max, idle.min = 0.
    const max = this.max;
    return { total: idle + used, idle, max, idleMax: max, idleMin: 0 };
  }
}
