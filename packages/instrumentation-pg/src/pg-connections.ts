/*
 * The bookkeeping of pg connections, for the hooks the module patches call:
 * connection attempts (to ready or failed), uses (a pool checkout, or a query
 * of a Client no pool owns), and how each connection ends
 * (connection-lifetime.ts). Pools, their checkouts' wait and use times and
 * their gauges are core's (PoolRegistry, PoolTimings, reportPoolGauges).
 *
 * Per checkout, beside the two semconv histograms (wait_time, use_time), the
 * work is a few WeakMap lookups and field writes: no attribute set is built
 * (each pool's are computed once), no object or closure is allocated once a
 * connection is known.
 */
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { Attributes, DiagLogger } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ConnectionTracker,
  type CloseCause,
  type ConnectionInstruments,
  type ConnectionState,
  type DbServerTarget,
  type PoolEntry,
  type PoolRegistry,
  type PoolTimings,
  withAttribute,
} from '@connmetrics/core';
import { ConnectAttempt, type AttemptObserver } from './connect-attempt';
import { ConnectionLifetime, type LifetimeObserver } from './connection-lifetime';
import { isPoolTimeout } from './error-type';
import type { PgClient, PgPool } from './internal-types';
import type { CheckoutStart } from './patches';
import { connectionTimeoutOf, idleTimeoutOf } from './pg-pool';
import { clientTarget } from './server-target';

/** A pg-pool pool as core's registry holds it: named from its first client seen (or its options). */
export type PgPoolEntry = PoolEntry<PgPool, PgClient>;

/** What the bookkeeping needs from the instrumentation. */
export interface PgHost {
  readonly connectionInstruments: ConnectionInstruments;
  readonly diag: DiagLogger;
  readonly pools: PoolRegistry<PgPool, PgClient>;
  readonly timings: PoolTimings;
  /** Whether this instance counts `subject` (a client or a pool) for its MeterProvider (see ConnectionInstrumentationBase.claim). */
  claim(subject: object): boolean;
  /** A connection's attributes (without the peer address). */
  attributesOf(target: DbServerTarget, pool: PgPoolEntry | undefined): Attributes;
  /** The same with `network.peer.address` when configured. */
  withPeer(attributes: Attributes, client: PgClient): Attributes;
  claimSocket(socket: object, attributes: Attributes): void;
  timeTlsUpgrade(socket: TLSSocket, attributes: Attributes): void;
}

/** A connection attempt in progress. */
interface PendingConnection {
  readonly attempt: ConnectAttempt;
  /** The connection's attributes, without the peer address (not known yet). */
  readonly attributes: Attributes;
  readonly pool: PgPoolEntry | undefined;
}

/** What is kept per ready connection (`ConnectionState.extra`), for its whole life (never per checkout). */
interface ClientRecord {
  /** The pool that owns the client; undefined for a Client no pg-pool owns. */
  pool: PgPoolEntry | undefined;
  readonly lifetime: ConnectionLifetime | undefined;
}

function isClient(value: unknown): value is PgClient {
  return value !== null && typeof value === 'object' && typeof (value as PgClient).on === 'function';
}

/** pg's JavaScript client, whose Connection this package follows (pg-native's client has none). */
function hasConnection(client: PgClient): boolean {
  return typeof client.connection?.on === 'function';
}

/** pg-pool sets `release` on every client it hands out; a bare pg.Client has none. */
function isPoolClient(client: PgClient): boolean {
  return typeof client.release === 'function';
}

export class PgConnections {
  private readonly tracker: ConnectionTracker;
  private attempts = new Map<PgClient, PendingConnection>();
  /** The pool whose newClient() is running: the owner of the client that connects now. */
  private creatingPool: PgPoolEntry | undefined;
  private readonly attemptObserver: AttemptObserver;
  private readonly lifetimeObserver: LifetimeObserver;

  constructor(private readonly host: PgHost) {
    this.tracker = new ConnectionTracker(() => host.connectionInstruments, () => host.diag);
    this.attemptObserver = {
      tlsStarted: (attempt, socket) => this.onTlsStarted(attempt, socket),
      ready: (attempt) => this.onReady(attempt),
      failed: (attempt, errorType) => this.onFailed(attempt, errorType),
      abandoned: (attempt) => this.attempts.delete(attempt.client),
    };
    this.lifetimeObserver = {
      broke: (client, errorType) => this.tracker.reuseFailed(client, errorType),
      closed: (client, cause) => this.onClosed(client, cause),
      idleTimeoutMillis: (client) => idleTimeoutOf(recordOf(this.tracker.get(client))?.pool?.pool),
      state: (client) => this.tracker.get(client),
    };
  }

  /** Forgets everything and removes every listener (on disable). */
  clear(): void {
    for (const pending of this.attempts.values()) pending.attempt.stop();
    this.attempts = new Map();
    for (const state of this.tracker.open()) recordOf(state)?.lifetime?.stop();
    this.tracker.clear();
    this.creatingPool = undefined;
  }

  /** Runs pg-pool's newClient(): the client that connects during it belongs to `pool`. */
  creatingClient<T>(pool: PgPoolEntry | undefined, create: () => T): T {
    const previous = this.creatingPool;
    this.creatingPool = pool;
    try {
      return create();
    } finally {
      this.creatingPool = previous;
    }
  }

  // --- connection attempts -------------------------------------------------

  clientConnecting(client: PgClient): void {
    const connection = client.connection;
    if (!connection || !hasConnection(client)) return;
    // connect() called twice: pg reports the error, there is no new attempt.
    if (client._connecting || client._connected || this.attempts.has(client) || this.tracker.get(client)) return;
    const pool = this.creatingPool;
    // Another instance of the instrumentation counts this client for the same MeterProvider: a pooled
    // one is the pool's counter's (so that its create_time, a pool metric, is recorded where its attempt is followed).
    if ((pool && !pool.counted()) || !this.tracker.claim(client)) return;
    const target = clientTarget(client);
    pool?.identify(client);
    const attempt = new ConnectAttempt(client, connection, connectionTimeoutOf(pool?.pool), this.attemptObserver, this.host.diag);
    this.attempts.set(client, { attempt, attributes: this.host.attributesOf(target, pool), pool });
    attempt.start();
  }

  clientConnectCalled(client: PgClient, threw: boolean): void {
    const pending = this.attempts.get(client);
    if (!pending) return;
    if (threw) {
      pending.attempt.stop();
      this.attempts.delete(client);
      return;
    }
    // pg created its socket in the Client constructor and started connecting it just now.
    const socket = client.connection?.stream;
    if (socket) this.host.claimSocket(socket, pending.attributes);
  }

  private onTlsStarted(attempt: ConnectAttempt, socket: TLSSocket): void {
    const pending = this.attempts.get(attempt.client);
    if (pending) this.host.timeTlsUpgrade(socket, pending.attributes);
  }

  private onReady(attempt: ConnectAttempt): void {
    const { client } = attempt;
    const pending = this.attempts.get(client);
    if (!pending) return;
    this.attempts.delete(client);
    const state = this.tracker.created(client, this.host.withPeer(pending.attributes, client));
    this.follow(client, state, pending.pool);
    if (pending.pool) this.host.timings.created(pending.pool, attempt.startedAt);
    // Queries issued while connecting were served by this connection once it was ready.
    for (let use = 0; use < attempt.pendingUses; use += 1) this.bareUse(client, state.attributes);
  }

  private onFailed(attempt: ConnectAttempt, errorType: string): void {
    const pending = this.attempts.get(attempt.client);
    if (!pending) return;
    this.attempts.delete(attempt.client);
    this.host.connectionInstruments.failed.add(1, withAttribute(pending.attributes, ATTR_ERROR_TYPE, errorType));
  }

  /** Follows a ready (or adopted) connection until it closes; once per connection. */
  private follow(client: PgClient, state: ConnectionState, pool: PgPoolEntry | undefined): ClientRecord {
    const connection = client.connection;
    const lifetime =
      connection && hasConnection(client) ? new ConnectionLifetime(client, connection, this.lifetimeObserver, this.host.diag) : undefined;
    const record: ClientRecord = { pool, lifetime };
    state.extra = record;
    lifetime?.start();
    return record;
  }

  private onClosed(client: PgClient, cause: CloseCause): void {
    this.tracker.closed(client, cause);
  }

  // --- uses of a Client no pool owns ---------------------------------------

  /** Per query: counts only for a Client no pool owns. */
  clientQuery(client: PgClient): void {
    const state = this.tracker.get(client);
    if (state) {
      if (!recordOf(state)?.pool && !isPoolClient(client)) this.bareUse(client, state.attributes);
      return;
    }
    const pending = this.attempts.get(client);
    if (pending) {
      if (!pending.pool && !isPoolClient(client)) pending.attempt.pendingUses += 1;
      return;
    }
    // A client connected before the instrumentation was enabled: adopt it.
    if (!hasConnection(client) || client._connected !== true || client._ending || client._ended || isPoolClient(client)) return;
    if (!this.tracker.claim(client)) return; // another instance counts it
    this.bareUse(client, this.host.withPeer(this.host.attributesOf(clientTarget(client), undefined), client));
  }

  private bareUse(client: PgClient, attributes: Attributes): void {
    const state = this.tracker.used(client) ?? this.tracker.adopt(client, attributes);
    if (state.counted === false) return; // another instance counts it
    if (!state.extra) this.follow(client, state, undefined);
    this.tracker.released(client);
  }

  // --- pools -----------------------------------------------------------------

  checkoutStarted(pool: PgPool): CheckoutStart | undefined {
    if (pool.ending) return undefined;
    this.host.pools.register(pool);
    return performance.now();
  }

  checkoutEnded(pgPool: PgPool, startedAt: CheckoutStart, error: unknown, client: unknown): void {
    const pool = this.host.pools.get(pgPool);
    if (!pool) return; // disabled since the checkout started
    // The pool's timeouts, waits and uses are recorded by the instance that counts the pool; the client may still be ours.
    const timings = this.host.timings;
    if (error) {
      if (isPoolTimeout(error)) timings.timedOut(pool);
      return;
    }
    if (!isClient(client)) return;
    // Named from its first client seen (a field check once it is named).
    pool.identify(client);
    const handedOutAt = performance.now(); // one clock reading ends the wait and starts the use
    timings.waited(pool, startedAt, handedOutAt);
    // Created and reused need the client's connection attempt, which only pg's JavaScript client shows.
    let state: ConnectionState | undefined;
    if (hasConnection(client)) {
      state =
        this.tracker.used(client) ??
        (this.tracker.claim(client)
          ? this.tracker.adopt(client, this.host.withPeer(this.host.attributesOf(clientTarget(client), pool), client))
          : undefined); // another instance counts this connection
      if (state) (recordOf(state) ?? this.follow(client, state, pool)).pool ??= pool;
    }
    // Its use_time runs to the release, for this instance's pool or connection.
    if (state || pool.counted()) timings.checkedOut(client, pool, handedOutAt);
  }

  /** pg-pool's 'release' event: the checkout ends. */
  released(client: unknown): void {
    // false: handed out before the instrumentation was enabled, or by pg-pool to itself
    if (isClient(client) && this.host.timings.released(client)) this.tracker.released(client);
  }
}

function recordOf(state: ConnectionState | undefined): ClientRecord | undefined {
  return state?.extra as ClientRecord | undefined;
}
