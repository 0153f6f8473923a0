import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ConnectionInstrumentationBase,
  ConnectionTracker,
  MethodWraps,
  PoolRegistry,
  PoolMetrics,
  defaultPoolName,
  guard,
  poolAttributes,
  poolNameFromHook,
  timeTlsUpgrade,
  type ChannelHandlers,
  type ConnectionState,
  type CountedPool,
  type DbServerTarget,
  type PoolCounts,
  type PoolEntry,
  withAttribute,
} from '@connmetrics/core';
import { FIRST_VERSION_WITH_CHANNELS, MySQL2Channel, type ConnectContext, type PoolConnectContext } from './channels';
import { Checkouts, type Checkout } from './checkouts';
import { ConnectAttemptWatch } from './connect-attempt';
import { ConnectionLifetime, type ConnectionEnd } from './connection-lifetime';
import { isCheckoutTimeout, mysql2ErrorType } from './error-type';
import type { MySQL2Connection, MySQL2Pool } from './mysql2-shapes';
import { mysql2ModuleDefinitions, type MySQL2Hooks } from './patches';
import { configTarget, contextTarget, dbSystemName } from './server-target';
import type { MySQL2ConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const PROTOCOL_MYSQL = 'mysql';

/** A connection handshake in progress (`mysql2:connect`). */
interface Attempt {
  readonly context: ConnectContext;
  readonly startedAt: number;
  /** The connection, named by the module patch (undefined when mysql2 was loaded before it). */
  readonly connection: MySQL2Connection | undefined;
  /** The checkout that opens it: a pooled connection. */
  readonly checkout: Checkout<Attempt> | undefined;
  /** Queries issued on a connection no pool owns before it was ready; counted as uses once it is. */
  pendingUses: number;
  /** Follows the attempt to its failure, for a connection the patch named. */
  watch?: ConnectAttemptWatch;
}

/** What the tracker keeps per ready connection (`ConnectionState.extra`). */
interface ConnectionRecord {
  /** The pool that owns the connection; undefined for one no pool owns. */
  readonly entry: PoolEntry<MySQL2Pool, MySQL2Connection> | undefined;
  readonly lifetime: ConnectionLifetime | undefined;
}

/** Commands that are a use of a connection no pool owns. */
const USE_COMMANDS = new Set(['Query', 'Execute']);
const HANDSHAKE_COMMAND = 'ClientHandshake';

function isConnection(value: unknown): value is MySQL2Connection {
  return value !== null && typeof value === 'object' && typeof (value as MySQL2Connection).once === 'function';
}

/** The pool a connection was created by (`_pool` is cleared when mysql2 removes it; its config keeps the pool). */
function poolOf(connection: MySQL2Connection): MySQL2Pool | undefined {
  return connection._pool ?? connection.config?.pool ?? undefined;
}

function isOlderThanChannels(version: string | undefined): boolean {
  const [major, minor] = (version ?? '').split('.').map(Number);
  const [firstMajor, firstMinor] = FIRST_VERSION_WITH_CHANNELS.split('.').map(Number);
  return major === firstMajor && minor !== undefined && firstMinor !== undefined && minor < firstMinor;
}

function poolCounts(pool: MySQL2Pool): PoolCounts {
  const config = pool.config ?? {};
  const limit = typeof config.connectionLimit === 'number' && config.connectionLimit > 0 ? config.connectionLimit : undefined;
  return {
    total: pool._allConnections?.length ?? 0,
    idle: pool._freeConnections?.length ?? 0,
    pending: pool._connectionQueue?.length ?? 0,
    max: limit,
    // mysql2 defaults maxIdle to connectionLimit and keeps no minimum of idle connections.
    idleMax: typeof config.maxIdle === 'number' && config.maxIdle >= 0 ? config.maxIdle : limit,
    idleMin: 0,
  };
}

/**
 * Connection metrics for mysql2 3.x (MySQL and MariaDB): connections created,
 * reused and failed, their DNS, TCP and TLS phases, why they closed, and the
 * nine db.client.connection.* metrics of every pool (pool clusters included),
 * each pool on its own; callback and promise APIs alike.
 *
 * A use is a pool checkout for pooled connections (`getConnection()`,
 * `pool.query()`, `pool.execute()`), and a query or execute for a connection
 * that no pool owns.
 */
export class MySQL2ConnectionInstrumentation extends ConnectionInstrumentationBase<MySQL2ConnectionInstrumentationConfig> {
  protected readonly protocolName = PROTOCOL_MYSQL;
  declare private _tracker: ConnectionTracker | undefined;
  declare private _methodWraps: MethodWraps | undefined;
  declare private _pools: PoolRegistry<MySQL2Pool, MySQL2Connection> | undefined;
  /** The 'release' listener added to every pool (one per instance: nothing is made per pool). */
  declare private _poolReleaseListener: ((connection: unknown) => void) | undefined;
  declare private _attempts: WeakMap<ConnectContext, Attempt> | undefined;
  /** Attempts of connections no pool owns, by connection, for the queries issued while they connect. */
  declare private _connecting: WeakMap<MySQL2Connection, Attempt> | undefined;
  declare private _checkouts: Checkouts<Attempt> | undefined;
  /** Its timings are kept apart from the tracker: a connection may close before the application releases it. */
  declare private _poolMetrics: PoolMetrics | undefined;
  /** The connection whose constructor added its handshake just now (and the handshake), before it publishes `mysql2:connect`. */
  declare private _settingUp: { readonly connection: MySQL2Connection; readonly handshake: EventEmitter } | undefined;
  declare private _warnedLoadOrder: boolean | undefined;
  declare private _warnedVersion: boolean | undefined;

  constructor(config: MySQL2ConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get tracker(): ConnectionTracker {
    return (this._tracker ??= new ConnectionTracker(() => this._connectionInstruments, () => this._diag));
  }

  private get pools(): PoolRegistry<MySQL2Pool, MySQL2Connection> {
    return (this._pools ??= new PoolRegistry<MySQL2Pool, MySQL2Connection>({
      name: (pool, connection) => this.poolName(pool, connection),
      claim: (pool) => this.claim(pool),
      claimEpoch: () => this.claimEpoch(),
      counts: poolCounts,
      ended: (pool) => pool._closed === true,
      listen: (pool) => pool.on('release', this.poolReleaseListener),
      unlisten: (pool) => pool.removeListener('release', this.poolReleaseListener),
    }));
  }

  private get attempts(): WeakMap<ConnectContext, Attempt> {
    return (this._attempts ??= new WeakMap());
  }

  private get connecting(): WeakMap<MySQL2Connection, Attempt> {
    return (this._connecting ??= new WeakMap());
  }

  private get checkouts(): Checkouts<Attempt> {
    return (this._checkouts ??= new Checkouts());
  }

  /** The pools' timings, and their gauges on this instance's MeterProvider. */
  private get poolMetrics(): PoolMetrics {
    return (this._poolMetrics ??= new PoolMetrics(this.pools));
  }

  private get methodWraps(): MethodWraps {
    return (this._methodWraps ??= new MethodWraps());
  }

  protected override init(): InstrumentationModuleDefinition[] {
    return mysql2ModuleDefinitions(
      this.hooks(),
      (target, name, wrapper) => this.methodWraps.wrap(target, name, wrapper),
      (target, name) => this.methodWraps.unwrap(target, name),
    );
  }

  /** mysql2's tracing channels (3.20+): handshakes and pool checkouts, whatever the load order. */
  protected channelHandlers(): ChannelHandlers {
    return {
      [MySQL2Channel.ConnectStart]: (context: ConnectContext) => this.onConnectStart(context),
      [MySQL2Channel.ConnectError]: (context: ConnectContext) => this.onConnectError(context),
      [MySQL2Channel.ConnectAsyncEnd]: (context: ConnectContext) => this.onConnectReady(context),
      [MySQL2Channel.PoolConnectStart]: (context: PoolConnectContext) => this.checkouts.started(context),
      [MySQL2Channel.PoolConnectEnd]: (context: PoolConnectContext) => this._checkouts?.returned(context),
      [MySQL2Channel.PoolConnectAsyncStart]: (context: PoolConnectContext) => this._checkouts?.callbackStarted(context),
      [MySQL2Channel.PoolConnectAsyncEnd]: (context: PoolConnectContext) => this.onCheckoutEnded(context),
    };
  }

  protected override _updateMetricInstruments(): void {
    super._updateMetricInstruments();
    this.poolMetrics.useMeter(this.meter);
  }

  protected override onDisabled(): void {
    for (const state of this._tracker?.open() ?? []) recordOf(state)?.lifetime?.stop();
    this._tracker?.clear();
    this._pools?.clear();
    this._attempts = undefined;
    this._connecting = undefined;
    this._checkouts?.clear();
    this._poolMetrics?.timings.clear();
    this._settingUp = undefined;
  }

  /** The hooks the module patch calls: each runs only while enabled, and never throws. */
  private hooks(): MySQL2Hooks {
    const run = <A extends unknown[]>(name: string, hook: (...args: A) => void) =>
      guard(this._diag, `mysql2 ${name}`, (...args: A) => {
        if (this._enabled) hook(...args);
      });
    return {
      command: run('addCommand', (connection, command) => this.onCommand(connection, command)),
      tlsStarted: run('startTLS', (connection) => this.onTlsStarted(connection)),
      withoutChannels: run('version', (version) => this.onVersion(version)),
    };
  }

  private onVersion(version: string | undefined): void {
    if (!isOlderThanChannels(version) || this._warnedVersion) return;
    this._warnedVersion = true;
    this._diag.warn(
      `connmetrics: mysql2 ${version} publishes no tracing channels, so its connections are not counted; ` +
        `upgrade mysql2 to ${FIRST_VERSION_WITH_CHANNELS} or later.`,
    );
  }

  private warnLoadOrder(): void {
    if (this._warnedLoadOrder) return;
    this._warnedLoadOrder = true;
    this._diag.warn(
      'connmetrics: mysql2 was loaded before MySQL2ConnectionInstrumentation was enabled, so connections that no pool ' +
        'owns (createConnection) are not counted and TLS handshakes are not timed; pools are counted. Enable the ' +
        'instrumentation (or load @connmetrics/auto/register) before mysql2 is required or imported.',
    );
  }

  // --- the module patch --------------------------------------------------------

  private onCommand(connection: MySQL2Connection, command: unknown): void {
    const name = (command as { constructor?: { name?: string } } | null)?.constructor?.name;
    if (name === HANDSHAKE_COMMAND) {
      // mysql2:connect is published next, in the same constructor.
      const settingUp = { connection, handshake: command as EventEmitter };
      this._settingUp = settingUp;
      queueMicrotask(() => {
        if (this._settingUp === settingUp) this._settingUp = undefined;
      });
      return;
    }
    if (name !== undefined && USE_COMMANDS.has(name) && !connection.config?.pool) this.bareUse(connection);
  }

  private onTlsStarted(connection: MySQL2Connection): void {
    if (this._config.recordSocketPhases === false) return;
    const socket = connection.stream as TLSSocket | undefined;
    // Timed from now; claimed with the connection's attributes once it is ready (its pool is known only then).
    if (socket && socket.encrypted === true) timeTlsUpgrade(socket);
  }

  // --- connection handshakes -------------------------------------------------

  private onConnectStart(context: ConnectContext): void {
    const settingUp = this._settingUp;
    this._settingUp = undefined;
    const connection = settingUp?.connection;
    const checkout = this._checkouts?.current();
    const attempt: Attempt = { context, startedAt: performance.now(), connection, checkout, pendingUses: 0 };
    this.attempts.set(context, attempt);
    if (settingUp) {
      attempt.watch = new ConnectAttemptWatch(settingUp.connection, settingUp.handshake, (errorType) => this.onFailed(attempt, errorType), this._diag);
      attempt.watch.start();
    }
    if (checkout) checkout.attempt ??= attempt;
    else if (connection) this.connecting.set(connection, attempt);
    else this.warnLoadOrder();
    // A pool's first connection: its gauges count from now (without the patch, from its first checkout).
    const pool = connection ? poolOf(connection) : undefined;
    if (pool && connection) this.registerPool(pool, connection);
  }

  /** Failures of the connections the patch did not name (pooled ones: mysql2 always reports theirs here). */
  private onConnectError(context: ConnectContext): void {
    const attempt = this._attempts?.get(context);
    if (!attempt || attempt.watch) return;
    this.onFailed(attempt, mysql2ErrorType(context.error));
  }

  private onFailed(attempt: Attempt, errorType: string): void {
    if (this._attempts?.get(attempt.context) !== attempt) return; // settled, or disabled since
    this.attempts.delete(attempt.context);
    if (attempt.connection) this.connecting.delete(attempt.connection);
    const connection = attempt.connection;
    const target = connection ? configTarget(connection.config) : contextTarget(attempt.context);
    // Every instance sees the same context: one counts the failure.
    if (!this.claim(attempt.context)) return;
    const pool = this.attemptPool(attempt);
    const attributes = this.dbAttributes(target, dbSystemName(undefined, connection?._isMariaDB), pool?.attributes.name);
    // DNS, TCP and TLS up to the failure, when the module patch named the connection.
    if (connection?.stream) this.claimSockets(connection.stream, attributes);
    this._connectionInstruments.failed.add(1, withAttribute(attributes, ATTR_ERROR_TYPE, errorType));
  }

  /** The handshake and authentication are done: a connection no pool owns is created now (a pooled one at its checkout). */
  private onConnectReady(context: ConnectContext): void {
    const attempt = this._attempts?.get(context);
    // asyncEnd follows a failure too (after error).
    if (!attempt || context.error !== undefined) return;
    this.attempts.delete(context);
    attempt.watch?.stop();
    const connection = attempt.connection;
    if (!connection || attempt.checkout) return;
    this.connecting.delete(connection);
    if (this.tracker.get(connection) || connection._closing) return;
    const target = configTarget(connection.config);
    const serverVersion = context.result?.serverVersion ?? connection._handshakePacket?.serverVersion;
    const attributes = this.withPeer(this.dbAttributes(target, dbSystemName(serverVersion, connection._isMariaDB), undefined), connection);
    const state = this.tracker.created(connection, attributes);
    // Counted by another instance on this MeterProvider: nothing to follow here.
    if (state.counted === false) return;
    this.follow(connection, state, undefined);
    for (let use = 0; use < attempt.pendingUses; use += 1) this.bareUse(connection);
  }

  // --- uses of a connection no pool owns ---------------------------------------

  private bareUse(connection: MySQL2Connection): void {
    const tracker = this.tracker;
    let state = tracker.used(connection);
    if (!state) {
      const attempt = this._connecting?.get(connection);
      if (attempt) {
        attempt.pendingUses += 1;
        return;
      }
      // Connected before the instrumentation was enabled: adopt it once it is ready.
      if (!connection._handshakePacket || connection._closing) return;
      const target = configTarget(connection.config);
      const system = dbSystemName(connection._handshakePacket.serverVersion, connection._isMariaDB);
      state = tracker.adopt(connection, this.withPeer(this.dbAttributes(target, system, undefined), connection));
      if (state.counted !== false && !state.extra) this.follow(connection, state, undefined);
    }
    tracker.released(connection);
  }

  // --- pools -------------------------------------------------------------------

  /** The checkout's callback returned (by then a PoolCluster has set the node id on the connection). */
  private onCheckoutEnded(context: PoolConnectContext): void {
    const checkout = this._checkouts?.ended(context);
    if (!checkout) return;
    if (context.error !== undefined) {
      if (isCheckoutTimeout(context.error)) {
        // Every instance sees the same context: the one that claims it counts a timeout whose pool is not known yet.
        const pool = checkout.attempt ? this.attemptPool(checkout.attempt) : undefined;
        this.poolMetrics.timings.timedOut(pool ?? this.unknownPool(contextTarget(context), context));
      }
      return;
    }
    const connection = context.result;
    if (!isConnection(connection)) return;
    const pool = poolOf(connection);
    if (!pool) return;
    const entry = this.registerPool(pool, connection);
    const timings = this.poolMetrics.timings;
    // Handed straight from one checkout to the next (mysql2 emits no 'release' then).
    if (timings.isOut(connection)) this.onRelease(connection);
    const tracker = this.tracker;
    let state = tracker.used(connection);
    if (!state) {
      const attempt = checkout.attempt;
      const attributes = this.pooledAttributes(connection, entry);
      if (attempt && (attempt.connection === undefined || attempt.connection === connection)) {
        attempt.watch?.stop();
        const created = tracker.created(connection, attributes);
        timings.created(entry, attempt.startedAt);
        // An inert state (another instance counts the connection) has no use to count.
        state = tracker.used(connection) ?? created;
      } else {
        state = tracker.adopt(connection, attributes);
      }
      if (state.counted !== false && !state.extra) this.follow(connection, state, entry);
    }
    timings.handedOut(connection, entry, checkout.startedAt);
    // Released inside the callback already.
    if (connection._released === true) this.onRelease(connection);
  }

  /**
   * The pool's entry, named when first needed: at the end of its first
   * checkout, when a PoolCluster has set its node id on the connection (or
   * at a collection that comes first, then from where it connects).
   */
  private registerPool(pool: MySQL2Pool, connection: MySQL2Connection): PoolEntry<MySQL2Pool, MySQL2Connection> {
    return this.pools.register(pool, connection);
  }

  private get poolReleaseListener(): (connection: unknown) => void {
    return (this._poolReleaseListener ??= guard(this._diag, 'mysql2 pool release', (connection: unknown) => {
      if (isConnection(connection)) this.onRelease(connection);
    }));
  }

  private onRelease(connection: MySQL2Connection): void {
    // false: handed out before the instrumentation was enabled
    if (this.poolMetrics.timings.released(connection)) this.tracker.released(connection);
  }

  /** The pool of a connection attempt, for its failure's attributes: known from an earlier checkout, else named from where it connects. */
  private attemptPool(attempt: Attempt): CountedPool | undefined {
    const pool = attempt.connection ? poolOf(attempt.connection) : undefined;
    const known = pool ? this._pools?.get(pool) : undefined;
    if (known) return known;
    if (!attempt.checkout && !pool) return undefined;
    return this.unknownPool(attempt.checkout ? contextTarget(attempt.checkout.context) : configTarget(attempt.connection?.config), attempt.context);
  }

  /** A pool not registered yet, named from where it connects and counted by the instance that claims `subject`. */
  private unknownPool(target: DbServerTarget, subject: object): CountedPool {
    return { attributes: poolAttributes(defaultPoolName(target)), counted: () => this.claim(subject) };
  }

  /** `connection`: the one the pool was first seen with (its cluster node id is set by the first checkout), if still alive. */
  private poolName(pool: MySQL2Pool, connection: MySQL2Connection | undefined): string {
    const target = configTarget(pool.config?.connectionConfig ?? connection?.config);
    const clusterNodeId = typeof connection?._clusterId === 'string' ? connection._clusterId : undefined;
    return poolNameFromHook(
      this._config.poolName,
      clusterNodeId ?? defaultPoolName(target),
      () => ({
        pool,
        ...(clusterNodeId === undefined ? {} : { clusterNodeId }),
        serverAddress: target.address,
        serverPort: target.port,
        database: target.database,
      }),
      this._diag,
    );
  }

  // --- ready connections, until they close ---------------------------------------

  private follow(connection: MySQL2Connection, state: ConnectionState, entry: PoolEntry<MySQL2Pool, MySQL2Connection> | undefined): void {
    const socket = connection.stream;
    let lifetime: ConnectionLifetime | undefined;
    if (socket && typeof socket.prependListener === 'function') {
      lifetime = new ConnectionLifetime(
        connection,
        socket,
        () => entry !== undefined && !this.poolMetrics.timings.isOut(connection) && entry.pool?._closed !== true,
        (end) => this.onClosed(connection, end),
        this._diag,
      );
      lifetime.start();
      if (state.observedFromStart) this.claimSockets(socket, state.attributes);
    }
    state.extra = { entry, lifetime } satisfies ConnectionRecord;
  }

  /** DNS and TCP of the socket mysql2 opened, and TLS of the socket it upgraded to, if any. */
  private claimSockets(socket: NonNullable<MySQL2Connection['stream']>, attributes: Attributes): void {
    const parent = (socket as { _parent?: unknown })._parent;
    if ((socket as TLSSocket).encrypted === true && parent && typeof parent === 'object') this.claimSocket(parent, attributes);
    this.claimSocket(socket, attributes);
  }

  private onClosed(connection: MySQL2Connection, end: ConnectionEnd): void {
    const tracker = this.tracker;
    // A use of a connection no pool owns ends as soon as it is counted: a query still running means it was not idle.
    const state = tracker.get(connection);
    if (end.busy && state && state.inFlight === 0) state.inFlight = 1;
    if (end.brokenUse !== undefined) tracker.reuseFailed(connection, end.brokenUse);
    this._poolMetrics?.timings.forget(connection);
    tracker.closed(connection, end.cause);
  }

  // --- attributes --------------------------------------------------------------

  private dbAttributes(target: DbServerTarget, system: string, poolName: string | undefined): Attributes {
    const extra: Attributes = { [ATTR_DB_SYSTEM_NAME]: system };
    if (poolName !== undefined) extra[ATTR_DB_CLIENT_CONNECTION_POOL_NAME] = poolName;
    return this.connectionAttributes(target.address, target.port, extra);
  }

  private pooledAttributes(connection: MySQL2Connection, entry: PoolEntry<MySQL2Pool, MySQL2Connection>): Attributes {
    const system = dbSystemName(connection._handshakePacket?.serverVersion, connection._isMariaDB);
    return this.withPeer(this.dbAttributes(configTarget(connection.config), system, entry.attributes.name), connection);
  }

  private withPeer(attributes: Attributes, connection: MySQL2Connection): Attributes {
    const peer = connection.stream?.remoteAddress;
    if (!this._config.recordPeerAddress || !peer) return attributes;
    return withAttribute(attributes, ATTR_NETWORK_PEER_ADDRESS, peer);
  }
}

function recordOf(state: ConnectionState): ConnectionRecord | undefined {
  return state.extra as ConnectionRecord | undefined;
}
