/*
 * The bookkeeping of postgres.js 4, from its channels (see v4-channels.ts).
 * A use is a query, as with postgres.js 3; `sql.reserve()` and `sql.begin()`
 * are one use each (their `lease` to `release`), whatever they run. A
 * connection is created at its pool's `open` event and closes at `close`:
 * postgres.js's CONNECTION_DESTROYED says it closed it itself (idle timeout,
 * max lifetime, `sql.end()`), CONNECTION_CLOSED that the server did.
 */
import { performance } from 'node:perf_hooks';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  CLOSE_REASON_CLIENT_CLOSED,
  CLOSE_REASON_ERROR,
  CLOSE_REASON_SERVER_CLOSED,
  withAttribute,
  type CloseCause,
  type ConnectionInstruments,
  type ConnectionTracker,
  type DbServerTarget,
  type PoolEntry,
  type PoolTimings,
} from '@connmetrics/core';
import { ERROR_TYPE_CONNECT_TIMEOUT, ERROR_TYPE_CONNECTION_CLOSED, postgresErrorType } from './error-type';
import type { ConnectContext, PoolEventMessage, QueryContext } from './v4-channels';
import { connectionClosed, connectionKey, targetOf, v4Pool, type V4Pool } from './v4-pools';

/** What the bookkeeping reads from its instrumentation, at each use (a new MeterProvider takes effect). */
export interface V4Host {
  readonly tracker: ConnectionTracker;
  readonly timings: PoolTimings;
  connectionInstruments(): ConnectionInstruments;
  /** The pool's entry in the instance's pool registry. */
  register(pool: V4Pool): PoolEntry<V4Pool>;
  /** A connection's attributes in its pool. */
  attributes(entry: PoolEntry<V4Pool>, target: DbServerTarget): Attributes;
  /** Whether this instance counts `subject` (a message every instance sees). */
  claim(subject: object): boolean;
  /** Claims the DNS and TCP phases of the socket that starts connecting in this synchronous run. */
  claimNextSocket(attributes: Attributes): void;
}

/** postgres.js's code when it closed a connection itself. */
const CONNECTION_DESTROYED = 'CONNECTION_DESTROYED';
const CONNECTION_ENDED = 'CONNECTION_ENDED';

const CLIENT_CLOSED: CloseCause = Object.freeze({ reason: CLOSE_REASON_CLIENT_CLOSED });
const SERVER_CLOSED: CloseCause = Object.freeze({ reason: CLOSE_REASON_SERVER_CLOSED });

function closeCause(error: unknown): CloseCause {
  if (error === undefined || error === null) return CLIENT_CLOSED;
  const type = postgresErrorType(error);
  if (type === CONNECTION_DESTROYED || type === CONNECTION_ENDED) return CLIENT_CLOSED;
  if (type === ERROR_TYPE_CONNECTION_CLOSED) return SERVER_CLOSED;
  return { reason: CLOSE_REASON_ERROR, errorType: type };
}

/**
 * A failure that says the connection broke under the query: the server
 * ended it (a FATAL error, e.g. 57P01 from pg_terminate_backend), it closed,
 * or the socket failed. Not the server's answer to the query itself (an
 * ERROR, such as a syntax error), after which the connection goes on.
 */
function brokeConnection(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const severity = (error as { severity?: unknown }).severity;
  if (typeof severity === 'string') return severity === 'FATAL' || severity === 'PANIC';
  const type = postgresErrorType(error);
  return type === ERROR_TYPE_CONNECTION_CLOSED || /^E[A-Z]+$/.test(type);
}

interface V4Connection {
  readonly key: object;
  readonly pool: V4Pool;
  readonly entry: PoolEntry<V4Pool>;
  readonly attributes: Attributes;
  /** Reserved or in a transaction: its queries are that one use's. */
  leased: boolean;
  /**
   * It closed: kept until the next turn of the event loop, so that the
   * queries its close settles are not taken for uses of a connection opened
   * before we were enabled.
   */
  closed: boolean;
}

const asNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

export class PostgresV4Connections {
  private readonly connections = new Map<number, V4Connection>();
  /** The key under which this instance stamps a connect's start on its context. */
  private readonly connectStartKey = Symbol('connmetrics.postgres.connectStartedAt');

  constructor(private readonly host: V4Host) {}

  /** Forgets every connection (on disable): those still open are adopted at their next use. */
  clear(): void {
    this.connections.clear();
  }

  /** postgres.js makes the connect's socket in the same synchronous run (its TLS, upgraded later, is not timed). */
  connectStarted(context: ConnectContext): void {
    Reflect.set(context, this.connectStartKey, performance.now());
    const target = targetOf(context.host, context.port, context.database, context.path);
    this.host.claimNextSocket(this.host.attributes(this.host.register(v4Pool(target)), target));
  }

  /** A connect ended: create_time when it succeeded, a failed attempt when not. */
  connectEnded(context: ConnectContext): void {
    const target = targetOf(context.host, context.port, context.database, context.path);
    const entry = this.host.register(v4Pool(target));
    if (context.error !== undefined) {
      if (!this.host.claim(context)) return;
      const type = postgresErrorType(context.error);
      this.host.connectionInstruments().failed.add(1, withAttribute(this.host.attributes(entry, target), ATTR_ERROR_TYPE, type));
      if (type === ERROR_TYPE_CONNECT_TIMEOUT) this.host.timings.timedOut(entry);
      return;
    }
    const startedAt = asNumber((context as Record<symbol, unknown>)[this.connectStartKey]);
    if (startedAt !== undefined) this.host.timings.created(entry, startedAt);
  }

  /**
   * Several per query (`idle` after each): for a known connection nothing is
   * allocated, its pool is the one it was tracked with. `wait` names no
   * connection nor server: skipped (its counts come again with the next event).
   */
  poolEvent(message: PoolEventMessage): void {
    const id = asNumber(message.connection);
    if (id === undefined) return;
    const known = this.connections.get(id);
    const pool = known?.pool ?? v4Pool(targetOf(message.host, message.port, message.database));
    if (message.stats !== null && typeof message.stats === 'object') pool.stats = message.stats;
    switch (message.event) {
      case 'open':
        if (!known) this.opened(id, pool);
        break;
      case 'lease':
        this.leased(known ?? this.track(id, pool), asNumber(message.waited));
        break;
      case 'release':
        if (known) this.released(known);
        break;
      case 'close':
        this.closed(id, known, message.error);
        break;
    }
  }

  /** A query ended: one use of its connection, unless it ran in a lease (or never reached a connection). */
  queryEnded(context: QueryContext): void {
    const id = asNumber(context.connection);
    if (id === undefined) return; // no connection: its failed connect is counted by connectEnded()
    // Unknown: opened before this instance was enabled, adopted at this use.
    const connection = this.connections.get(id) ?? this.track(id, v4Pool(targetOf(context.host, context.port, context.database)));
    if (connection.leased || connection.closed) return;
    const { tracker, timings } = this.host;
    const state = tracker.used(connection.key) ?? tracker.adopt(connection.key, connection.attributes);
    tracker.released(connection.key);
    if (state.counted === false) return;
    const queued = asNumber(context.queued);
    const sent = asNumber(context.sent);
    const complete = asNumber(context.complete);
    if (queued !== undefined && sent !== undefined && complete !== undefined) timings.measured(connection.entry, (sent - queued) / 1000, (complete - sent) / 1000);
    if (context.error !== undefined && brokeConnection(context.error)) tracker.reuseFailed(connection.key, postgresErrorType(context.error));
  }

  private opened(id: number, pool: V4Pool): void {
    const connection = this.track(id, pool);
    this.host.tracker.created(connection.key, connection.attributes);
  }

  /** `sql.reserve()` or `sql.begin()` got its connection (one adopted here if it opened before we were enabled). */
  private leased(connection: V4Connection, waitedMs: number | undefined): void {
    if (connection.closed) return;
    const { tracker, timings } = this.host;
    const state = tracker.used(connection.key) ?? tracker.adopt(connection.key, connection.attributes);
    connection.leased = true;
    if (state.counted === false) return;
    timings.handedOut(connection.key, connection.entry, performance.now() - (waitedMs ?? 0));
  }

  private released(connection: V4Connection): void {
    if (!connection.leased) return;
    connection.leased = false;
    this.host.tracker.released(connection.key);
    this.host.timings.released(connection.key);
  }

  private closed(id: number, connection: V4Connection | undefined, error: unknown): void {
    connectionClosed(id);
    if (!connection || connection.closed) return;
    connection.closed = true;
    setImmediate(() => {
      if (this.connections.get(id) === connection) this.connections.delete(id);
    }).unref();
    this.host.timings.forget(connection.key);
    this.host.tracker.closed(connection.key, closeCause(error));
  }

  private track(id: number, pool: V4Pool): V4Connection {
    const entry = this.host.register(pool);
    const connection: V4Connection = { key: connectionKey(id), pool, entry, attributes: this.host.attributes(entry, pool.target), leased: false, closed: false };
    this.connections.set(id, connection);
    return connection;
  }
}
