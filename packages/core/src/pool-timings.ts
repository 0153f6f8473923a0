/*
 * The timings of a database pool's checkouts and connections:
 * db.client.connection.create_time, wait_time (from the start of a request
 * for a connection to the hand-over), use_time (from the hand-over to the
 * release) and timeouts. Each is recorded only while this instance counts the
 * pool (`CountedPool.counted()`, its claim). Checked-out connections are held
 * weakly, in one record per connection that every later checkout reuses:
 * nothing is allocated per checkout. The instruments come from the
 * instrumentation's guarded Meter, so a recording never throws.
 */
import { performance } from 'node:perf_hooks';
import type { DbConnectionInstruments } from './instruments';
import type { CountedPool } from './pool-registry';

type TimingInstruments = Pick<DbConnectionInstruments, 'createTime' | 'waitTime' | 'useTime' | 'timeouts'>;

/** A connection's current checkout. */
interface CheckedOut {
  pool: CountedPool;
  /** From `performance.now()`; undefined while the connection is in its pool. */
  at: number | undefined;
}

const secondsSince = (from: number) => Math.max(0, performance.now() - from) / 1000;

export class PoolTimings {
  private out = new WeakMap<object, CheckedOut>();

  /** @param instruments the instruments to record into (read at each recording, so a new MeterProvider takes effect) */
  constructor(private readonly instruments: () => TimingInstruments) {}

  /** A pool's new connection is ready: create_time since `startedAt` (from `performance.now()`). */
  created(pool: CountedPool, startedAt: number): void {
    if (pool.counted()) this.instruments().createTime.record(secondsSince(startedAt), pool.attributes.pool);
  }

  /** A request that began at `startedAt` got its connection at `now`: wait_time. */
  waited(pool: CountedPool, startedAt: number, now = performance.now()): void {
    if (pool.counted()) this.instruments().waitTime.record(Math.max(0, now - startedAt) / 1000, pool.attributes.pool);
  }

  /**
   * A use the library timed itself (postgres.js 4's query context): its
   * wait_time and use_time, in seconds.
   */
  measured(pool: CountedPool, waitSeconds: number, useSeconds: number): void {
    if (!pool.counted()) return;
    const instruments = this.instruments();
    instruments.waitTime.record(Math.max(0, waitSeconds), pool.attributes.pool);
    instruments.useTime.record(Math.max(0, useSeconds), pool.attributes.pool);
  }

  /** The connection is handed out from now (its use_time runs until released()). */
  checkedOut(connection: object, pool: CountedPool, now = performance.now()): void {
    const record = this.out.get(connection);
    if (record) {
      record.pool = pool;
      record.at = now;
    } else {
      this.out.set(connection, { pool, at: now });
    }
  }

  /** waited() then checkedOut(), on one clock reading: a checkout that began at `startedAt` got `connection`. */
  handedOut(connection: object, pool: CountedPool, startedAt: number): void {
    const now = performance.now();
    this.waited(pool, startedAt, now);
    this.checkedOut(connection, pool, now);
  }

  /** The connection went back to its pool: use_time. Returns false for a connection not handed out since tracking began. */
  released(connection: object): boolean {
    const record = this.out.get(connection);
    const at = record?.at;
    if (record === undefined || at === undefined) return false;
    record.at = undefined;
    if (record.pool.counted()) this.instruments().useTime.record(secondsSince(at), record.pool.attributes.pool);
    return true;
  }

  /** Whether the connection is checked out now. */
  isOut(connection: object): boolean {
    return this.out.get(connection)?.at !== undefined;
  }

  /** The connection closed: it will not be released. */
  forget(connection: object): void {
    this.out.delete(connection);
  }

  /** A request gave up waiting for a connection: db.client.connection.timeouts. */
  timedOut(pool: CountedPool): void {
    if (pool.counted()) this.instruments().timeouts.add(1, pool.attributes.pool);
  }

  /** Forgets every checked-out connection (on disable). */
  clear(): void {
    this.out = new WeakMap();
  }
}
