import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { Attributes } from '@opentelemetry/api';
import { safeExecuteInTheMiddle, type InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ConnectionInstrumentationBase,
  ConnectionTracker,
  MethodWraps,
  createDbConnectionInstruments,
  guard,
  reportFailure,
  seconds,
  timeTlsUpgrade,
  type ChannelHandlers,
  type ConnectionState,
  type DbConnectionInstruments,
  causeOf,
} from '@connmetrics/core';
import { ConnectAttempt, type AttemptObserver } from './connect-attempt';
import { ConnectionLifetime } from './connection-lifetime';
import { isPoolTimeout } from './error-type';
import type { PgClient, PgPool } from './internal-types';
import { pgModuleDefinitions, type Checkout, type PgHooks } from './patches';
import { PoolGauges } from './pool-gauges';
import { PoolRegistry, type PoolState } from './pool-registry';
import { clientTarget, defaultPoolName, type ServerTarget } from './server-target';
import type { PgConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const DB_SYSTEM_NAME_POSTGRESQL = 'postgresql';

/** A connection attempt in progress. */
interface PendingConnection {
  readonly attempt: ConnectAttempt;
  /** The connection's attributes, without the peer address (not known yet). */
  readonly attributes: Attributes;
  readonly pool: PoolState | undefined;
}

/** What the tracker keeps per ready connection (`ConnectionState.extra`). */
interface ClientRecord {
  /** The pool that owns the client; undefined for a Client no pg-pool owns. */
  pool: PoolState | undefined;
  readonly lifetime: ConnectionLifetime | undefined;
}

/** A client handed out by a pool, until the application releases it. */
interface CheckedOut {
  readonly pool: PoolState;
  readonly at: number;
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

/**
 * Connection metrics for node-postgres (pg 8) and pg-pool 3: connections
 * created, reused and failed, their DNS, TCP and TLS phases, and the nine
 * db.client.connection.* metrics of every pool, each pool on its own.
 *
 * A use is a pool checkout for pooled clients, and a query for a Client that
 * no pg-pool owns (a bare client, or one in an external pool such as knex's).
 */
export class PgConnectionInstrumentation extends ConnectionInstrumentationBase<PgConnectionInstrumentationConfig> {
  protected readonly protocolName = DB_SYSTEM_NAME_POSTGRESQL;
  declare private _dbInstruments: DbConnectionInstruments;
  declare private _tracker: ConnectionTracker | undefined;
  declare private _methodWraps: MethodWraps | undefined;
  declare private _pools: PoolRegistry | undefined;
  declare private _gauges: PoolGauges | undefined;
  declare private _attempts: Map<PgClient, PendingConnection> | undefined;
  /** Apart from the tracker: a connection may close before the application releases it. */
  declare private _checkedOut: WeakMap<PgClient, CheckedOut> | undefined;
  /** The pool whose newClient() is running: the owner of the client that connects now. */
  declare private _creatingPool: PoolState | undefined;

  constructor(config: PgConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get tracker(): ConnectionTracker {
    return (this._tracker ??= new ConnectionTracker(() => this._connectionInstruments, () => this._diag));
  }

  private get pools(): PoolRegistry {
    return (this._pools ??= new PoolRegistry(
      (pool, target) => this.poolName(pool, target),
      (pool) => this.listenToPool(pool),
    ));
  }

  private get attempts(): Map<PgClient, PendingConnection> {
    return (this._attempts ??= new Map());
  }

  private get checkedOut(): WeakMap<PgClient, CheckedOut> {
    return (this._checkedOut ??= new WeakMap());
  }

  private get methodWraps(): MethodWraps {
    return (this._methodWraps ??= new MethodWraps());
  }

  private get gauges(): PoolGauges {
    return (this._gauges ??= new PoolGauges());
  }

  protected override init(): InstrumentationModuleDefinition[] {
    return pgModuleDefinitions(
      this.hooks(),
      // Not shimmer: @opentelemetry/instrumentation-pg unwraps any shimmer wrapper it finds (and we would
      // unwrap theirs), so whichever was enabled second would silence the other.
      (target, name, wrapper) => this.methodWraps.wrap(target, name, wrapper),
      (target, name) => this.methodWraps.unwrap(target, name),
    );
  }

  /** node-postgres publishes no diagnostics channel. */
  protected channelHandlers(): ChannelHandlers {
    return {};
  }

  protected override _updateMetricInstruments(): void {
    super._updateMetricInstruments();
    const instruments = createDbConnectionInstruments(this.meter);
    this._dbInstruments = instruments;
    this.meter.addBatchObservableCallback(
      (result) => this.guarded('observe pg pools', () => this.gauges.observe(result, instruments, this.ownPools())),
      [instruments.count, instruments.idleMax, instruments.idleMin, instruments.max, instruments.pendingRequests],
    );
  }

  protected override onDisabled(): void {
    for (const pending of this._attempts?.values() ?? []) pending.attempt.stop();
    this._attempts?.clear();
    for (const state of this._tracker?.open() ?? []) recordOf(state)?.lifetime?.stop();
    this._tracker?.clear();
    this._checkedOut = undefined;
    this._pools?.clear();
    this._creatingPool = undefined;
  }

  /** The hooks the module patches call: each runs only while enabled, and never throws. */
  private hooks(): PgHooks {
    const run = <A extends unknown[]>(name: string, hook: (...args: A) => void) =>
      guard(this._diag, `pg ${name}`, (...args: A) => {
        if (this._enabled) hook(...args);
      });
    return {
      clientConnecting: run('clientConnecting', (client) => this.onClientConnecting(client)),
      clientConnectCalled: run('clientConnectCalled', (client, threw) => this.onClientConnectCalled(client, threw)),
      clientQuery: run('clientQuery', (client) => this.onClientQuery(client)),
      checkoutStarted: (pool) => {
        let checkout: Checkout | undefined;
        run('checkoutStarted', () => (checkout = this.onCheckoutStarted(pool)))();
        return checkout;
      },
      checkoutEnded: run('checkoutEnded', (checkout, error, client) => this.onCheckoutEnded(checkout, error, client)),
      creatingClient: (pool, create) => {
        const previous = this._creatingPool;
        run('creatingClient', () => (this._creatingPool = pool.ending ? undefined : this.pools.register(pool)))();
        try {
          return create();
        } finally {
          this._creatingPool = previous;
        }
      },
    };
  }

  // --- connection attempts -------------------------------------------------

  private onClientConnecting(client: PgClient): void {
    const connection = client.connection;
    if (!connection || !hasConnection(client)) return;
    // connect() called twice: pg reports the error, there is no new attempt.
    if (client._connecting || client._connected || this.attempts.has(client) || this.tracker.get(client) || !this.claim(client)) return;
    const pool = this._creatingPool;
    const target = clientTarget(client);
    pool?.identify(() => target);
    const attempt = new ConnectAttempt(client, connection, pool?.connectionTimeoutMillis ?? 0, this.attemptObserver, this._diag);
    this.attempts.set(client, { attempt, attributes: this.pgAttributes(target, pool), pool });
    attempt.start();
  }

  private onClientConnectCalled(client: PgClient, threw: boolean): void {
    const pending = this.attempts.get(client);
    if (!pending) return;
    if (threw) {
      pending.attempt.stop();
      this.attempts.delete(client);
      return;
    }
    // pg created its socket in the Client constructor and started connecting it just now.
    const socket = client.connection?.stream;
    if (socket) this.claimSocket(socket, pending.attributes);
  }

  private readonly attemptObserver: AttemptObserver = {
    tlsStarted: (attempt, socket) => this.onTlsStarted(attempt, socket),
    ready: (attempt) => this.onReady(attempt),
    failed: (attempt, errorType) => this.onFailed(attempt, errorType),
    abandoned: (attempt) => this.attempts.delete(attempt.client),
  };

  private onTlsStarted(attempt: ConnectAttempt, socket: TLSSocket): void {
    const pending = this.attempts.get(attempt.client);
    if (!pending || this._config.recordSocketPhases === false) return;
    timeTlsUpgrade(socket, this.phaseTarget(pending.attributes));
  }

  private onReady(attempt: ConnectAttempt): void {
    const { client } = attempt;
    const pending = this.attempts.get(client);
    if (!pending) return;
    this.attempts.delete(client);
    const state = this.tracker.created(client, this.withPeer(pending.attributes, client));
    this.follow(client, state, pending.pool);
    if (pending.pool) this._dbInstruments.createTime.record(seconds(attempt.startedAt), pending.pool.attributes.pool);
    // Queries issued while connecting were served by this connection once it was ready.
    for (let use = 0; use < attempt.pendingUses; use += 1) this.bareUse(client, state.attributes);
  }

  private onFailed(attempt: ConnectAttempt, errorType: string): void {
    const pending = this.attempts.get(attempt.client);
    if (!pending) return;
    this.attempts.delete(attempt.client);
    this._connectionInstruments.failed.add(1, { ...pending.attributes, [ATTR_ERROR_TYPE]: errorType });
  }

  /** Follows a ready connection until it closes. */
  private follow(client: PgClient, state: ConnectionState, pool: PoolState | undefined): ClientRecord {
    const connection = client.connection;
    const lifetime =
      connection && hasConnection(client)
        ? new ConnectionLifetime(connection, (errorType) => this.onClosed(client, errorType), this._diag)
        : undefined;
    const record: ClientRecord = { pool, lifetime };
    state.extra = record;
    lifetime?.start();
    return record;
  }

  private onClosed(client: PgClient, errorType: string | undefined): void {
    this.tracker.closed(client, causeOf(errorType));
  }

  // --- uses of a Client no pool owns ---------------------------------------

  private onClientQuery(client: PgClient): void {
    const pending = this.attempts.get(client);
    if (pending) {
      if (!pending.pool && !isPoolClient(client)) pending.attempt.pendingUses += 1;
      return;
    }
    const state = this.tracker.get(client);
    if (state) {
      if (!recordOf(state)?.pool && !isPoolClient(client)) this.bareUse(client, state.attributes);
      return;
    }
    // A client connected before the instrumentation was enabled: adopt it.
    if (!hasConnection(client) || client._connected !== true || client._ending || client._ended || isPoolClient(client) || !this.claim(client)) return;
    this.bareUse(client, this.withPeer(this.pgAttributes(clientTarget(client), undefined), client));
  }

  private bareUse(client: PgClient, attributes: Attributes): void {
    const state = this.tracker.used(client) ?? this.tracker.adopt(client, attributes);
    if (!state.extra) this.follow(client, state, undefined);
    this.tracker.released(client);
  }

  // --- pools -----------------------------------------------------------------

  private onCheckoutStarted(pool: PgPool): Checkout | undefined {
    if (pool.ending) return undefined;
    this.pools.register(pool);
    return { pool, startedAt: performance.now() };
  }

  private onCheckoutEnded(checkout: Checkout, error: unknown, client: unknown): void {
    const pool = this._pools?.get(checkout.pool);
    if (!pool) return; // disabled since the checkout started
    const reported = this.claim(checkout.pool); // else another instance reports this pool (its connections may be ours)
    if (error) {
      if (reported && isPoolTimeout(error)) this._dbInstruments.timeouts.add(1, pool.attributes.pool);
      return;
    }
    if (!isClient(client)) return;
    // The client's server target is read only while the pool or the client is new to us: not per checkout.
    pool.identify(() => clientTarget(client));
    if (reported) this._dbInstruments.waitTime.record(seconds(checkout.startedAt), pool.attributes.pool);
    this.checkedOut.set(client, { pool, at: performance.now() });
    // Created and reused need the client's connection attempt, which only pg's JavaScript client shows.
    if (!hasConnection(client)) return;
    const state =
      this.tracker.used(client) ??
      (this.tracker.claim(client) ? this.tracker.adopt(client, this.withPeer(this.pgAttributes(clientTarget(client), pool), client)) : undefined);
    if (!state) return; // another instance counts this connection
    const record = recordOf(state) ?? this.follow(client, state, pool);
    record.pool ??= pool;
  }

  /** The pools this instance reports (each pool is reported by one instance per MeterProvider). */
  private *ownPools(): Generator<readonly [PgPool, PoolState]> {
    for (const entry of this.pools.live()) if (this.claim(entry[0])) yield entry;
  }

  private listenToPool(pool: PgPool): () => void {
    const onRelease = guard(this._diag, 'pg-pool release', (_error: unknown, client: unknown) => {
      if (isClient(client)) this.onRelease(client);
    });
    pool.on('release', onRelease);
    return () => pool.removeListener('release', onRelease);
  }

  private onRelease(client: PgClient): void {
    const checkedOut = this.checkedOut.get(client);
    if (!checkedOut) return; // handed out before the instrumentation was enabled, or by pg-pool to itself
    this.checkedOut.delete(client);
    const pool = checkedOut.pool.pool;
    if (pool && this.claim(pool)) this._dbInstruments.useTime.record(seconds(checkedOut.at), checkedOut.pool.attributes.pool);
    this.tracker.released(client);
  }

  private poolName(pool: PgPool, target: ServerTarget): string {
    const defaultName = defaultPoolName(target);
    const hook = this._config.poolName;
    if (!hook) return defaultName;
    const name = safeExecuteInTheMiddle(
      () =>
        hook({
          pool,
          options: pool.options ?? {},
          serverAddress: target.address,
          serverPort: target.port,
          database: target.database,
          defaultName,
        }),
      (error) => {
        if (error) reportFailure(this._diag, 'poolName (user hook; the default name is used)', error);
      },
      true,
    );
    return typeof name === 'string' && name.length > 0 ? name : defaultName;
  }

  // --- attributes --------------------------------------------------------------

  private pgAttributes(target: ServerTarget, pool: PoolState | undefined): Attributes {
    const extra: Attributes = { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_POSTGRESQL };
    if (pool) extra[ATTR_DB_CLIENT_CONNECTION_POOL_NAME] = pool.attributes.name;
    return this.connectionAttributes(target.address, target.port, extra);
  }

  private withPeer(attributes: Attributes, client: PgClient): Attributes {
    const peer = client.connection?.stream?.remoteAddress;
    if (!this._config.recordPeerAddress || !peer) return attributes;
    return { ...attributes, [ATTR_NETWORK_PEER_ADDRESS]: peer };
  }
}

function recordOf(state: ConnectionState): ClientRecord | undefined {
  return state.extra as ClientRecord | undefined;
}
