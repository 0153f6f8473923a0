/*
 * The bookkeeping of pg connections, for the hooks the module patches call:
 * connection attempts (to ready or failed), uses (a pool checkout, or a query
 * of a Client no pool owns), checkouts and their wait and use times, and how
 * each connection ends (connection-lifetime.ts).
 *
 * Per checkout, beside the two semconv histograms (wait_time, use_time), the
 * work is a WeakMap lookup and a few field writes: no attribute set is built
 * (each pool's are computed once), no object or closure is allocated once a
 * connection is known.
 */
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { Attributes, DiagLogger } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ConnectionTracker,
  seconds,
  type CloseCause,
  type ConnectionInstruments,
  type ConnectionState,
  type DbConnectionInstruments,
  withAttribute,
} from '@connmetrics/core';
import { ConnectAttempt, type AttemptObserver } from './connect-attempt';
import { ConnectionLifetime, type LifetimeObserver } from './connection-lifetime';
import { isPoolTimeout } from './error-type';
import type { PgClient, PgPool } from './internal-types';
import type { CheckoutStart } from './patches';
import type { PoolRegistry, PoolState } from './pool-registry';
import { clientTarget, type ServerTarget } from './server-target';

/** What the bookkeeping needs from the instrumentation. */
export interface PgHost {
  readonly connectionInstruments: ConnectionInstruments;
  readonly dbInstruments: DbConnectionInstruments;
  readonly diag: DiagLogger;
  readonly pools: PoolRegistry;
  /** Whether this instance counts `subject` (a client or a pool) for its MeterProvider (see ConnectionInstrumentationBase.claim). */
  claim(subject: object): boolean;
  /** A connection's attributes (without the peer address). */
  attributesOf(target: ServerTarget, pool: PoolState | undefined): Attributes;
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
  readonly pool: PoolState | undefined;
}

/** What is kept per ready connection, for its whole life (never per checkout). */
interface ClientRecord {
  /** The pool that owns the client; undefined for a Client no pg-pool owns. */
  pool: PoolState | undefined;
  readonly lifetime: ConnectionLifetime | undefined;
  /** The pool of the checkout in progress, and when it was handed out; undefined between checkouts. */
  checkoutPool: PoolState | undefined;
  checkedOutAt: number;
  /** Whether this instance reports the checkout's pool (else another instance records its use_time). */
  checkoutReported: boolean;
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
  /** Apart from the tracker: a connection may close before the application releases it. */
  private records = new WeakMap<PgClient, ClientRecord>();
  /** The pool whose newClient() is running: the owner of the client that connects now. */
  private creatingPool: PoolState | undefined;
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
      idleTimeoutMillis: (client) => idleTimeoutOf(this.records.get(client)?.pool),
      state: (client) => this.tracker.get(client),
    };
  }

  /** Forgets everything and removes every listener (on disable). */
  clear(): void {
    for (const pending of this.attempts.values()) pending.attempt.stop();
    this.attempts = new Map();
    for (const state of this.tracker.open()) recordOf(state)?.lifetime?.stop();
    this.tracker.clear();
    this.records = new WeakMap();
    this.creatingPool = undefined;
  }

  /** Runs pg-pool's newClient(): the client that connects during it belongs to `pool`. */
  creatingClient<T>(pool: PoolState | undefined, create: () => T): T {
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
    // Another instance of the instrumentation counts this client for the same MeterProvider.
    if (!this.tracker.claim(client)) return;
    const pool = this.creatingPool;
    const target = clientTarget(client);
    pool?.identify(target);
    const attempt = new ConnectAttempt(client, connection, pool?.connectionTimeoutMillis ?? 0, this.attemptObserver, this.host.diag);
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
    if (pending.pool) this.host.dbInstruments.createTime.record(seconds(attempt.startedAt), pending.pool.attributes.pool);
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
  private follow(client: PgClient, state: ConnectionState, pool: PoolState | undefined): ClientRecord {
    const connection = client.connection;
    const lifetime =
      connection && hasConnection(client) ? new ConnectionLifetime(client, connection, this.lifetimeObserver, this.host.diag) : undefined;
    const record: ClientRecord = { pool, lifetime, checkoutPool: undefined, checkedOutAt: 0, checkoutReported: false };
    state.extra = record;
    this.records.set(client, record);
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
    // Else another instance reports this pool (its timeouts, waits and uses); the client may still be ours.
    const reported = this.host.claim(pgPool);
    if (error) {
      if (reported && isPoolTimeout(error)) this.host.dbInstruments.timeouts.add(1, pool.attributes.pool);
      return;
    }
    if (!isClient(client)) return;
    // The client's server target is read only while the pool is unnamed: not per checkout.
    if (!pool.isNamed) pool.identify(clientTarget(client));
    const now = performance.now();
    if (reported) this.host.dbInstruments.waitTime.record(seconds(startedAt, now), pool.attributes.pool);
    // Created and reused need the client's connection attempt, which only pg's JavaScript client shows.
    let record = this.records.get(client);
    if (hasConnection(client)) {
      const state =
        this.tracker.used(client) ??
        (this.tracker.claim(client)
          ? this.tracker.adopt(client, this.host.withPeer(this.host.attributesOf(clientTarget(client), pool), client))
          : undefined); // another instance counts this connection
      if (state) {
        record = recordOf(state) ?? this.follow(client, state, pool);
        record.pool ??= pool;
      }
    }
    if (!record) {
      if (!reported) return; // nothing of this checkout is ours to record
      record = { pool, lifetime: undefined, checkoutPool: undefined, checkedOutAt: 0, checkoutReported: false };
      this.records.set(client, record);
    }
    record.checkoutPool = pool;
    record.checkedOutAt = now;
    record.checkoutReported = reported;
  }

  /** pg-pool's 'release' event: the checkout ends. */
  released(client: unknown): void {
    if (!isClient(client)) return;
    const record = this.records.get(client);
    const pool = record?.checkoutPool;
    if (!record || !pool) return; // handed out before the instrumentation was enabled, or by pg-pool to itself
    record.checkoutPool = undefined;
    if (record.checkoutReported) this.host.dbInstruments.useTime.record(seconds(record.checkedOutAt), pool.attributes.pool);
    this.tracker.released(client);
  }
}

function recordOf(state: ConnectionState): ClientRecord | undefined {
  return state.extra as ClientRecord | undefined;
}

function idleTimeoutOf(pool: PoolState | undefined): number {
  const value = pool?.pool?.options?.idleTimeoutMillis;
  return typeof value === 'number' && value > 0 ? value : 0;
}
