import { performance } from 'node:perf_hooks';
import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_NETWORK_PEER_ADDRESS,
  ConnectionInstrumentationBase,
  ConnectionTracker,
  MethodWraps,
  PoolRegistry,
  PoolMetrics,
  defaultPoolName,
  poolNameFromHook,
  type ChannelHandlers,
  type CountedPool,
  type DbServerTarget,
  type PoolEntry,
  withAttribute,
} from '@connmetrics/core';
import { NET_CLIENT_SOCKET, type ClientSocketMessage } from './channels';
import { PostgresChannel, type ConnectContext, type PoolEventMessage, type QueryContext } from './v4-channels';
import { PostgresV4Connections } from './v4-connections';
import type { V4Pool } from './v4-pools';
import { ConnectionSlot, type SlotHost } from './connection-slot';
import { postgresModuleDefinitions, type FactoryHooks } from './patches';
import { PoolState } from './pool-state';
import type { PostgresOptions, PostgresQueues } from './postgres-shapes';
import { SocketClaims } from './socket-claims';
import type { PostgresConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const POSTGRESQL = 'postgresql';

const LOADED_TOO_EARLY =
  'connmetrics: postgres.js 3 (the `postgres` package) could not be patched by @connmetrics/instrumentation-postgres: ' +
  'it was loaded before the instrumentation was enabled, or imported as an ES module without the module hook ' +
  '(or a pool was created while the instrumentation was disabled), so its connections are not counted. Enable the instrumentation before the application imports `postgres`: ' +
  'node --require @connmetrics/auto/register (CommonJS), or node --import @connmetrics/auto/register (ES modules; ' +
  'it registers the module hook that `import postgres from "postgres"` needs). postgres.js 4 is counted either way.';

/**
 * Connection metrics for postgres.js (`postgres` 3): connections created,
 * reused, failed and closed (with their close reasons), their DNS and TCP
 * phases, and the db.client.connection.* metrics it can observe of each pool.
 *
 * A use is a query; `sql.reserve()` and `sql.begin()` are one use each,
 * whatever they run.
 */
export class PostgresConnectionInstrumentation extends ConnectionInstrumentationBase<PostgresConnectionInstrumentationConfig> {
  protected readonly protocolName = POSTGRESQL;
  declare private _tracker: ConnectionTracker | undefined;
  declare private _pools: PoolRegistry<PoolState | V4Pool> | undefined;
  /** postgres.js 4, counted from its channels. */
  declare private _v4: PostgresV4Connections | undefined;
  /** The pool of each `postgres()`, by the queues index.js gives its slots. */
  declare private _poolStates: WeakMap<PostgresQueues, PoolState> | undefined;
  declare private _poolMetrics: PoolMetrics | undefined;
  declare private _sockets: SocketClaims | undefined;
  declare private _factoryHooks: FactoryHooks | undefined;
  declare private _slotHost: SlotHost | undefined;
  declare private _warnedTooEarly: boolean | undefined;
  declare private _methodWraps: MethodWraps | undefined;
  /** When each query started (held weakly: a query is forgotten with it). */
  /** The key under which this instance stamps a query's start on the query itself (a field, not a map entry per query). */
  private readonly queryStartKey = Symbol('connmetrics.postgres.queryStartedAt');

  constructor(config: PostgresConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get tracker(): ConnectionTracker {
    return (this._tracker ??= new ConnectionTracker(() => this._connectionInstruments, () => this._diag));
  }

  private get pools(): PoolRegistry<PoolState | V4Pool> {
    return (this._pools ??= new PoolRegistry<PoolState | V4Pool>({
      // Named when first needed (at its first connection): the user's hook runs once per pool.
      name: (pool) => this.poolName(pool instanceof PoolState ? pool.options : undefined, pool.target),
      // postgres.js 4's pool is one object per server and database, shared by every instance.
      claim: (pool) => this.claim(pool instanceof PoolState ? pool.queues : pool),
      claimEpoch: () => this.claimEpoch(),
      counts: (pool) => pool.counts(),
    }));
  }

  /** The pools' timings, and their gauges on this instance's MeterProvider. */
  private get poolMetrics(): PoolMetrics {
    return (this._poolMetrics ??= new PoolMetrics(this.pools));
  }

  private get sockets(): SocketClaims {
    return (this._sockets ??= new SocketClaims());
  }

  protected override init(): InstrumentationModuleDefinition[] {
    const wraps = (this._methodWraps ??= new MethodWraps());
    return postgresModuleDefinitions(
      this.factoryHooks,
      (target, name, wrapper) => wraps.wrap(target, name, wrapper),
      (target, name) => wraps.unwrap(target, name),
    );
  }


  /**
   * postgres.js 3 publishes nothing: its sockets are found among every client
   * socket Node announces. postgres.js 4 publishes its pools' events and
   * traces its connects and queries.
   */
  protected channelHandlers(): ChannelHandlers {
    return {
      [NET_CLIENT_SOCKET]: (message: ClientSocketMessage) => this.onClientSocket(message),
      [PostgresChannel.Pool]: (message: PoolEventMessage) => this.v4.poolEvent(message),
      [PostgresChannel.ConnectStart]: (context: ConnectContext) => this.v4.connectStarted(context),
      [PostgresChannel.ConnectAsyncEnd]: (context: ConnectContext) => this.v4.connectEnded(context),
      [PostgresChannel.QueryAsyncEnd]: (context: QueryContext) => this.v4.queryEnded(context),
    };
  }

  private get v4(): PostgresV4Connections {
    const self = this;
    return (this._v4 ??= new PostgresV4Connections({
      get tracker() {
        return self.tracker;
      },
      get timings() {
        return self.poolMetrics.timings;
      },
      connectionInstruments: () => this._connectionInstruments,
      register: (pool) => this.pools.register(pool) as PoolEntry<V4Pool>,
      attributes: (entry, target) => this.postgresAttributes(entry, target),
      claim: (subject) => this.claim(subject),
      claimNextSocket: (attributes) => this.claimNextSocket(attributes),
    }));
  }

  protected override _updateMetricInstruments(): void {
    super._updateMetricInstruments();
    this.poolMetrics.useMeter(this.meter);
  }

  protected override onDisabled(): void {
    for (const [pool] of this._pools?.live() ?? []) {
      if (pool instanceof PoolState) for (const slot of pool.slots) (slot as ConnectionSlot).reset();
    }
    this._tracker?.clear();
    this._sockets?.clear();
    this._v4?.clear();
    // A connection checked out before disable() and released after a new enable() records no use_time.
    this._poolMetrics?.timings.clear();
  }

  // --- the patched factory -----------------------------------------------------

  /** Created once: the module patch keeps it for the process's lifetime. */
  private get factoryHooks(): FactoryHooks {
    return (this._factoryHooks ??= {
      active: () => this._enabled,
      run: (name, hook) => {
        if (this._enabled) this.guarded(name, hook);
      },
      slot: (options, queues) => this.newSlot(options, queues),
      uncountedSocket: () => this.sockets.expect({ opened: () => undefined }),
      // Per query: no closure, no map entry; Reflect.set() cannot throw into postgres.js.
      queryStarted: (query) => {
        if (this._enabled) Reflect.set(query, this.queryStartKey, performance.now());
      },
    });
  }

  private newSlot(options: PostgresOptions, queues: PostgresQueues): ConnectionSlot {
    const states = (this._poolStates ??= new WeakMap());
    let pool = states.get(queues);
    if (!pool) states.set(queues, (pool = new PoolState(options, queues)));
    const slot = new ConnectionSlot(pool, this.pools.register(pool), this.slotHost);
    pool.slots.add(slot);
    return slot;
  }

  private onClientSocket(message: ClientSocketMessage): void {
    const socket = message?.socket;
    if (socket === null || typeof socket !== 'object') return;
    if (this.sockets.announced(socket) && !this._warnedTooEarly) {
      this._warnedTooEarly = true;
      this._diag.warn(LOADED_TOO_EARLY);
    }
  }

  private get slotHost(): SlotHost {
    const self = this;
    return (this._slotHost ??= {
      get tracker() {
        return self.tracker;
      },
      get timings() {
        return self.poolMetrics.timings;
      },
      connectionInstruments: () => this._connectionInstruments,
      attributes: (pool, target) => this.postgresAttributes(pool, target),
      withPeer: (attributes, socket) => {
        const peer = socket?.remoteAddress;
        return this._config.recordPeerAddress && peer ? withAttribute(attributes, ATTR_NETWORK_PEER_ADDRESS, peer) : attributes;
      },
      expectSocket: (claim) => this.sockets.expect(claim),
      claimSocket: (socket, attributes) => {
        this.claimSocket(socket, attributes);
      },
      queryStartedAt: (query) =>
        query !== null && typeof query === 'object' ? (query as Record<symbol, number | undefined>)[this.queryStartKey] : undefined,
      run: (name, hook) => this.guarded(name, hook),
    });
  }

  // --- attributes ----------------------------------------------------------------

  private postgresAttributes(pool: CountedPool, target: DbServerTarget): Attributes {
    return this.connectionAttributes(target.address, target.port, {
      [ATTR_DB_SYSTEM_NAME]: POSTGRESQL,
      [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: pool.attributes.name,
    });
  }

  /** `options`: postgres.js 3's parsed options; postgres.js 4 publishes none (the hook gets an empty object). */
  private poolName(options: PostgresOptions | undefined, target: DbServerTarget): string {
    return poolNameFromHook(
      this._config.poolName,
      defaultPoolName(target),
      () => ({ options: options ?? {}, serverAddress: target.address, serverPort: target.port, database: target.database }),
      this._diag,
    );
  }
}
