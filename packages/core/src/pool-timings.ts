/*
 * The timings of a database pool's checkouts and connections, for the
 * protocol packages that see them: db.client.connection.create_time,
 * wait_time (from the start of a checkout to the hand-over), use_time (from
 * the hand-over to the release) and timeouts. Checked-out connections are
 * held weakly. Every recording is guarded: a throwing recorder is logged
 * once and never leaves the checkout bookkeeping half done.
 */
import { performance } from 'node:perf_hooks';
import { diag, type Attributes, type DiagLogger } from '@opentelemetry/api';
import { reportFailure } from './guard';
import type { DbConnectionInstruments } from './instruments';

const coreLogger = diag.createComponentLogger({ namespace: '@connmetrics/core' });

interface CheckedOut {
  /** The pool's attributes (`db.client.connection.pool.name`). */
  readonly attributes: Attributes;
  readonly at: number;
}

const secondsSince = (from: number) => Math.max(0, performance.now() - from) / 1000;

export class PoolTimings {
  private out = new WeakMap<object, CheckedOut>();

  /**
   * @param instruments the instruments to record into (read at each recording, so a new MeterProvider takes effect)
   * @param logger where a failing recording is logged (once per instrument)
   */
  constructor(
    private readonly instruments: () => Pick<DbConnectionInstruments, 'createTime' | 'waitTime' | 'useTime' | 'timeouts'>,
    private readonly logger: () => DiagLogger = () => coreLogger,
  ) {}

  private record(instrument: 'createTime' | 'waitTime' | 'useTime', seconds: number, attributes: Attributes): void {
    try {
      this.instruments()[instrument].record(seconds, attributes);
    } catch (error) {
      reportFailure(this.logger(), `record ${instrument}`, error);
    }
  }

  /** A pool's new connection is ready: create_time since `startedAt` (from `performance.now()`). */
  created(poolAttributes: Attributes, startedAt: number): void {
    this.record('createTime', secondsSince(startedAt), poolAttributes);
  }

  /** A checkout that began at `startedAt` got its connection: wait_time, and the connection is out from now. */
  handedOut(connection: object, poolAttributes: Attributes, startedAt: number): void {
    this.record('waitTime', secondsSince(startedAt), poolAttributes);
    this.out.set(connection, { attributes: poolAttributes, at: performance.now() });
  }

  /** The connection went back to its pool: use_time. Returns false for a connection not handed out since tracking began. */
  released(connection: object): boolean {
    const checkedOut = this.out.get(connection);
    if (!checkedOut) return false;
    this.out.delete(connection);
    this.record('useTime', secondsSince(checkedOut.at), checkedOut.attributes);
    return true;
  }

  /** Whether the connection is checked out now. */
  isOut(connection: object): boolean {
    return this.out.has(connection);
  }

  /** The connection closed while checked out: it will not be released. */
  forget(connection: object): void {
    this.out.delete(connection);
  }

  /** A checkout gave up waiting: db.client.connection.timeouts. */
  timedOut(poolAttributes: Attributes): void {
    try {
      this.instruments().timeouts.add(1, poolAttributes);
    } catch (error) {
      reportFailure(this.logger(), 'record timeouts', error);
    }
  }

  /** Forgets every checked-out connection (on disable). */
  clear(): void {
    this.out = new WeakMap();
  }
}
