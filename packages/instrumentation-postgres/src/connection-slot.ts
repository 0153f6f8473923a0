/*
 * One slot of a postgres.js pool, followed through its connections: an
 * attempt (from `connect(query)` until the query that opened it starts
 * executing, after startup, authentication and postgres.js's array-type
 * fetch), a ready connection (its uses, until its socket closes), and why it
 * closed. A slot makes a new connection each time index.js connects it again.
 *
 * Uses: a query handed to the connection, except queries of a reservation or
 * transaction; `sql.reserve()` (from reserve to release) and `sql.begin()`
 * (the whole transaction) are one use each.
 *
 * Every instance of the instrumentation follows the slot (the gauges read
 * it); only the instance that claims the pool records anything of it.
 */
import { performance } from 'node:perf_hooks';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  CLOSE_REASON_CLIENT_CLOSED,
  CLOSE_REASON_ERROR,
  CLOSE_REASON_IDLE_TIMEOUT,
  CLOSE_REASON_SERVER_CLOSED,
  type CloseCause,
  type CloseReason,
  type ConnectionInstruments,
  type ConnectionTracker,
  type CountedPool,
  type DbServerTarget,
  type PoolTimings,
  withAttribute,
} from '@connmetrics/core';
import { ERROR_TYPE_CONNECT_TIMEOUT, ERROR_TYPE_CONNECTION_CLOSED, postgresErrorType } from './error-type';
import type { SlotEvents } from './patches';
import type { PoolState, SlotView } from './pool-state';
import type { PostgresConnection, PostgresRequest } from './postgres-shapes';
import type { SocketClaim } from './socket-claims';
import { socketTarget } from './server-target';

/** What a slot needs from the instrumentation. */
export interface SlotHost {
  readonly tracker: ConnectionTracker;
  readonly timings: PoolTimings;
  connectionInstruments(): ConnectionInstruments;
  /** The attributes of a connection of `pool` to `target`. */
  attributes(pool: CountedPool, target: DbServerTarget): Attributes;
  /** Adds `network.peer.address` when configured. */
  withPeer(attributes: Attributes, socket: SocketLike | undefined): Attributes;
  expectSocket(claim: SocketClaim): void;
  /** Times the socket's DNS and TCP phases for the connection. */
  claimSocket(socket: object, attributes: Attributes): void;
  /** When a query was started (`performance.now()`), if it was seen starting. */
  queryStartedAt(query: unknown): number | undefined;
  run(name: string, hook: () => void): void;
}

interface SocketLike {
  readonly host?: unknown;
  readonly port?: unknown;
  readonly remoteAddress?: string;
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** A socket of the slot, with the first error it emitted (postgres.js always listens for them too). */
class SocketRecord {
  error: string | undefined;
  constructor(readonly socket: SocketLike) {}
}

/** A request that is a query: it has a `state`, which postgres.js sets when it executes it. */
function isQuery(request: PostgresRequest): boolean {
  return request !== null && typeof request === 'object' && 'state' in request;
}

class Attempt {
  readonly startedAt = performance.now();
  /** When postgres.js began creating the current socket (after any reconnect delay). */
  socketAt: number | undefined;
  record: SocketRecord | undefined;
  /** The error the opening request was rejected with. */
  failure: string | undefined;
  attributes: Attributes;
  private restoreReject: (() => void) | undefined;

  constructor(
    readonly request: PostgresRequest,
    attributes: Attributes,
  ) {
    this.attributes = attributes;
  }

  /**
   * Notes the error postgres.js rejects the opening request with, without
   * changing what it rejects with; not once the application ended the pool
   * (`sql.end({ timeout })` destroys what is still connecting).
   */
  watchRejection(run: SlotHost['run'], ended: () => boolean): void {
    const request = this.request;
    const original = request?.reject;
    if (typeof original !== 'function') return;
    const attempt = this;
    const reject = function (this: unknown, error: unknown) {
      run('postgres reject', () => {
        if (!ended()) attempt.failure ??= postgresErrorType(error);
      });
      return original.apply(this, arguments as unknown as [unknown]);
    };
    request.reject = reject;
    this.restoreReject = () => {
      if (request.reject === reject) request.reject = original;
    };
  }

  settle(): void {
    this.restoreReject?.();
    this.restoreReject = undefined;
  }

  /** Started executing: the query that opened the connection has been handed its backend. */
  get requestExecuting(): boolean {
    const state = this.request?.state;
    return state !== null && state !== undefined;
  }
}

interface Live {
  readonly token: object;
  readonly attributes: Attributes;
  readonly record: SocketRecord | undefined;
}

export class ConnectionSlot implements SlotEvents, SlotView {
  connection: PostgresConnection | undefined;
  private attempt: Attempt | undefined;
  private live: Live | undefined;
  private endWanted = false;
  private internalEnd: CloseReason | undefined;
  private idleArmedAt: number | undefined;

  constructor(
    readonly pool: PoolState,
    /** The pool's entry in core's registry: its attributes, and whether this instance counts it. */
    private readonly entry: CountedPool,
    private readonly host: SlotHost,
  ) {}

  // --- what the pool gauges read ------------------------------------------------

  get idle(): boolean {
    return this.live !== undefined && this.inFlight() === 0 && !this.connection?.reserved;
  }

  get used(): boolean {
    return this.attempt !== undefined || (this.live !== undefined && !this.idle);
  }

  attached(connection: PostgresConnection): void {
    this.connection = connection;
  }

  // --- attempts ---------------------------------------------------------------

  connecting(request: unknown): void {
    this.endWanted = false;
    this.internalEnd = undefined;
    this.pool.endRequested = false;
    this.pool.connected = true;
    this.attempt?.settle();
    const attempt = new Attempt(request as PostgresRequest, this.host.attributes(this.entry, this.pool.target));
    attempt.watchRejection(
      (name, hook) => this.host.run(name, hook),
      () => this.endWanted,
    );
    this.attempt = attempt;
  }

  socketCreating(): void {
    const attempt = this.attempt;
    if (!attempt) {
      // A cancel request sent from this connection: postgres.js's socket, not a connection of the pool.
      this.host.expectSocket({ opened: () => undefined });
      return;
    }
    // A socket before this one closed during startup and postgres.js tries again (the next host, or a
    // close before the first query): that socket was an attempt that failed.
    if (attempt.record) {
      this.failed(attempt, attempt.record.error ?? ERROR_TYPE_CONNECTION_CLOSED);
      attempt.record = undefined;
      attempt.socketAt = undefined;
    }
    attempt.socketAt ??= performance.now();
    this.host.expectSocket({
      opened: (socket) => this.host.run('postgres socket opened', () => this.socketOpened(attempt, socket as SocketLike)),
    });
  }

  private socketOpened(attempt: Attempt, socket: SocketLike): void {
    if (this.attempt !== attempt) return;
    const record = new SocketRecord(socket);
    attempt.record = record;
    socket.on('error', (error: unknown) => this.host.run('postgres socket error', () => (record.error ??= postgresErrorType(error))));
    // postgres.js notes the host and port it connects to on the socket right after connect().
    queueMicrotask(() =>
      this.host.run('postgres socket target', () => {
        if (this.attempt !== attempt || attempt.record !== record) return;
        // Another host of a multi-host pool: the attempt's attributes name it (computed again only then).
        const target = socketTarget(socket, this.pool.target);
        if (target.address !== this.pool.target.address || target.port !== this.pool.target.port) {
          attempt.attributes = this.host.attributes(this.entry, target);
        }
        if (this.entry.counted()) this.host.claimSocket(socket, attempt.attributes);
      }),
    );
  }

  queryBuilding(): void {
    if (this.attempt?.requestExecuting) this.ready();
  }

  private ready(): void {
    const attempt = this.attempt;
    if (!attempt) return;
    this.attempt = undefined;
    attempt.settle();
    const token = {};
    const attributes = this.host.withPeer(attempt.attributes, attempt.record?.socket);
    this.live = { token, attributes, record: attempt.record };
    if (this.entry.counted()) this.host.tracker.created(token, attributes);
    this.host.timings.created(this.entry, attempt.socketAt ?? attempt.startedAt);
    // The query that opened the connection is its first use; a reservation counts when it is taken.
    if (isQuery(attempt.request)) {
      this.use();
      this.waited(attempt.request);
    }
  }

  /** db.client.connection.wait_time of a query that is a use: from its start to its connection. */
  private waited(query: unknown): void {
    const startedAt = this.host.queryStartedAt(query);
    if (startedAt !== undefined) this.host.timings.waited(this.entry, startedAt);
  }

  private failed(attempt: Attempt, errorType: string): void {
    if (!this.entry.counted()) return;
    this.host.connectionInstruments().failed.add(1, withAttribute(attempt.attributes, ATTR_ERROR_TYPE, errorType));
    if (errorType === ERROR_TYPE_CONNECT_TIMEOUT) this.host.timings.timedOut(this.entry);
  }

  // --- uses -------------------------------------------------------------------

  executing(query: unknown): void {
    if (!this.live || this.connection?.reserved) return;
    this.use();
    this.waited(query);
  }

  reservedChanged(reserved: boolean): void {
    if (!this.live) return;
    // sql.begin() reserves the connection while its BEGIN is already counted as the use.
    if (reserved) {
      if (this.inFlight() === 0) this.use();
    } else {
      this.releaseAll();
    }
  }

  opened(): void {
    // A reservation is handed out from here when it opened the connection.
    if (this.attempt) this.ready();
    if (this.live && !this.connection?.reserved) this.releaseAll();
  }

  private inFlight(): number {
    const live = this.live;
    return live ? (this.host.tracker.get(live.token)?.inFlight ?? 0) : 0;
  }

  private use(): void {
    const live = this.live;
    if (!live) return;
    const tracker = this.host.tracker;
    // Busy from now: its use_time runs until nothing is in flight.
    if ((tracker.get(live.token)?.inFlight ?? 0) === 0) this.host.timings.checkedOut(live.token, this.entry);
    // A connection open since before the instrumentation was enabled again (or counted by an instance
    // disabled since) is adopted.
    if (!tracker.used(live.token) && this.entry.counted()) tracker.adopt(live.token, live.attributes);
  }

  /** Nothing is in flight any more: every use ended, the connection is back in the pool. */
  private releaseAll(): void {
    const live = this.live;
    const state = live && this.host.tracker.get(live.token);
    if (!live || !state || state.inFlight === 0) return;
    this.host.timings.released(live.token);
    while (state.inFlight > 0) this.host.tracker.released(live.token);
  }

  // --- closes -----------------------------------------------------------------

  idleTimerStarted(): void {
    this.idleArmedAt = performance.now();
  }

  idleTimerCancelled(): void {
    this.idleArmedAt = undefined;
  }

  endRequested(): void {
    this.endWanted = true;
    this.pool.endRequested = true;
  }

  ending(): void {
    if (this.endWanted || !this.live) return;
    // postgres.js ends a connection itself when its idle timer fires, or its max_lifetime elapses.
    this.internalEnd = this.idleTimerFired() ? CLOSE_REASON_IDLE_TIMEOUT : CLOSE_REASON_CLIENT_CLOSED;
  }

  private idleTimerFired(): boolean {
    if (this.idleArmedAt === undefined) return false;
    // A function is evaluated by postgres.js, once per slot: its value is not known here.
    if (typeof this.pool.options.idle_timeout === 'function') return true;
    const timeout = this.pool.idleTimeoutMs;
    // Timers fire at their time, give or take a millisecond of rounding.
    return timeout !== undefined && performance.now() - this.idleArmedAt >= timeout - 1;
  }

  closed(): void {
    const attempt = this.attempt;
    if (attempt) {
      this.attempt = undefined;
      attempt.settle();
      // An attempt the application ended before it failed (sql.end({ timeout })) did not fail.
      const failure = attempt.failure ?? (this.endWanted ? undefined : (attempt.record?.error ?? ERROR_TYPE_CONNECTION_CLOSED));
      if (failure !== undefined) this.failed(attempt, failure);
    }
    const live = this.live;
    if (live) {
      this.live = undefined;
      const cause = this.closeCause(live);
      if (cause.reason === CLOSE_REASON_SERVER_CLOSED || cause.reason === CLOSE_REASON_ERROR) {
        // A query was in flight on a connection that broke under it: a reuse failure when it was reused.
        if ((this.host.tracker.get(live.token)?.inFlight ?? 0) > 0) {
          this.host.tracker.reuseFailed(live.token, live.record?.error ?? ERROR_TYPE_CONNECTION_CLOSED);
        }
      }
      this.host.tracker.closed(live.token, cause);
    }
    this.endWanted = false;
    this.internalEnd = undefined;
    this.idleArmedAt = undefined;
  }

  private closeCause(live: Live): CloseCause {
    if (this.endWanted) return { reason: CLOSE_REASON_CLIENT_CLOSED };
    if (this.internalEnd) return { reason: this.internalEnd };
    const error = live.record?.error;
    if (error !== undefined) return { reason: CLOSE_REASON_ERROR, errorType: error };
    return { reason: CLOSE_REASON_SERVER_CLOSED };
  }

  /**
   * Forgets the attempt in progress (on disable). A ready connection is kept:
   * the tracker forgot it, so its next use after enable() adopts it.
   */
  reset(): void {
    this.attempt?.settle();
    this.attempt = undefined;
    this.endWanted = false;
    this.internalEnd = undefined;
    this.idleArmedAt = undefined;
  }
}
