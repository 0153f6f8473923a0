import type { Attributes } from '@opentelemetry/api';
import { safeExecuteInTheMiddle, type InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_NETWORK_PEER_ADDRESS,
  ConnectionInstrumentationBase,
  MethodWraps,
  createDbConnectionInstruments,
  guard,
  reportFailure,
  type ChannelHandlers,
  type DbConnectionInstruments,
  withAttribute,
} from '@connmetrics/core';
import type { PgClient, PgPool } from './internal-types';
import { patchLoadedCopies, pgModuleDefinitions, type CheckoutStart, type PgHooks } from './patches';
import { PgConnections } from './pg-connections';
import { PoolGauges } from './pool-gauges';
import { PoolRegistry, type PoolState } from './pool-registry';
import { defaultPoolName, type ServerTarget } from './server-target';
import type { PgConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const DB_SYSTEM_NAME_POSTGRESQL = 'postgresql';

/**
 * Connection metrics for node-postgres (pg 8) and pg-pool 3: connections
 * created, reused and failed, their DNS, TCP and TLS phases, why they closed,
 * and the nine db.client.connection.* metrics of every pool, each pool on its own.
 *
 * A use is a pool checkout for pooled clients, and a query for a Client that
 * no pg-pool owns (a bare client, or one in an external pool such as knex's).
 * This class wires the module patches (patches.ts) and pg-pool's events to
 * the bookkeeping (pg-connections.ts) and the pool gauges (pool-gauges.ts).
 */
export class PgConnectionInstrumentation extends ConnectionInstrumentationBase<PgConnectionInstrumentationConfig> {
  protected readonly protocolName = DB_SYSTEM_NAME_POSTGRESQL;
  declare private _dbInstruments: DbConnectionInstruments;
  declare private _connections: PgConnections | undefined;
  declare private _methodWraps: MethodWraps | undefined;
  declare private _pools: PoolRegistry | undefined;
  declare private _gauges: PoolGauges | undefined;
  declare private _pgHooks: PgHooks | undefined;
  /** Prototypes patched at enable() because pg was loaded before. */
  declare private _latePatched: Set<object> | undefined;

  constructor(config: PgConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get pools(): PoolRegistry {
    return (this._pools ??= new PoolRegistry(
      (pool, target) => this.poolName(pool, target),
      (pool) => this.listenToPool(pool),
    ));
  }

  private get connections(): PgConnections {
    const self = this;
    return (this._connections ??= new PgConnections({
      get connectionInstruments() {
        return self._connectionInstruments;
      },
      get dbInstruments() {
        return self._dbInstruments;
      },
      diag: this._diag,
      get pools() {
        return self.pools;
      },
      claim: (subject) => this.claim(subject),
      attributesOf: (target, pool) => this.pgAttributes(target, pool),
      withPeer: (attributes, client) => this.withPeer(attributes, client),
      claimSocket: (socket, attributes) => void this.claimSocket(socket, attributes),
      timeTlsUpgrade: (socket, attributes) => this.timeTlsUpgrade(socket, attributes),
    }));
  }

  private get methodWraps(): MethodWraps {
    return (this._methodWraps ??= new MethodWraps());
  }

  private get gauges(): PoolGauges {
    return (this._gauges ??= new PoolGauges());
  }

  protected override init(): InstrumentationModuleDefinition[] {
    return pgModuleDefinitions(
      this.pgHooks,
      // Not shimmer: @opentelemetry/instrumentation-pg unwraps any shimmer wrapper it finds (and we would
      // unwrap theirs), so whichever was enabled second would silence the other.
      (target, name, wrapper) => this.methodWraps.wrap(target, name, wrapper),
      (target, name) => this.methodWraps.unwrap(target, name),
    );
  }

  override enable(): void {
    super.enable();
    // pg loaded before this instrumentation existed: its prototypes are patched now.
    this.guarded('pg loaded before the instrumentation', () =>
      patchLoadedCopies(this.pgHooks, (target, name, wrapper) => {
        (this._latePatched ??= new Set()).add(target);
        this.methodWraps.wrap(target, name, wrapper);
      }),
    );
  }

  override disable(): void {
    super.disable();
    this.guarded('pg loaded before the instrumentation', () => {
      for (const target of this._latePatched ?? []) for (const name of ['connect', 'query', 'newClient']) this.methodWraps.unwrap(target, name);
    });
  }

  private get pgHooks(): PgHooks {
    return (this._pgHooks ??= this.hooks());
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

  /** The pools this instance reports: each pool is reported by one instance per MeterProvider. */
  private *ownPools(): Generator<readonly [PgPool, PoolState]> {
    for (const entry of this.pools.live()) if (this.claim(entry[0])) yield entry;
  }

  protected override onDisabled(): void {
    this._connections?.clear();
    this._pools?.clear();
  }

  /**
   * The hooks the module patches call: each runs only while enabled, and
   * never throws. The per-use ones (query, checkout) are plain methods with
   * their own try/catch: no closure or argument array per call.
   */
  private hooks(): PgHooks {
    const instrumentation = this;
    const diag = this._diag;
    return {
      clientConnecting: guard(diag, 'pg clientConnecting', (client: PgClient) => {
        if (this._enabled) this.connections.clientConnecting(client);
      }),
      clientConnectCalled: guard(diag, 'pg clientConnectCalled', (client: PgClient, threw: boolean) => {
        if (this._enabled) this.connections.clientConnectCalled(client, threw);
      }),
      clientQuery(client: PgClient): void {
        if (!instrumentation._enabled) return;
        try {
          instrumentation.connections.clientQuery(client);
        } catch (error) {
          reportFailure(diag, 'pg clientQuery', error);
        }
      },
      checkoutStarted(pool: PgPool): CheckoutStart | undefined {
        if (!instrumentation._enabled) return undefined;
        try {
          return instrumentation.connections.checkoutStarted(pool);
        } catch (error) {
          reportFailure(diag, 'pg checkoutStarted', error);
          return undefined;
        }
      },
      checkoutEnded(pool: PgPool, startedAt: CheckoutStart, error: unknown, client: unknown): void {
        if (!instrumentation._enabled) return;
        try {
          instrumentation.connections.checkoutEnded(pool, startedAt, error, client);
        } catch (hookError) {
          reportFailure(diag, 'pg checkoutEnded', hookError);
        }
      },
      creatingClient<T>(pool: PgPool, create: () => T): T {
        let state: PoolState | undefined;
        try {
          if (instrumentation._enabled && !pool.ending) state = instrumentation.pools.register(pool);
        } catch (error) {
          reportFailure(diag, 'pg creatingClient', error);
        }
        return instrumentation.connections.creatingClient(state, create);
      },
    };
  }

  private listenToPool(pool: PgPool): () => void {
    const onRelease = (_error: unknown, client: unknown): void => {
      try {
        this.connections.released(client);
      } catch (error) {
        reportFailure(this._diag, 'pg-pool release', error);
      }
    };
    pool.on('release', onRelease);
    return () => pool.removeListener('release', onRelease);
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

  private pgAttributes(target: ServerTarget, pool: PoolState | undefined): Attributes {
    const extra: Attributes = { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_POSTGRESQL };
    if (pool) extra[ATTR_DB_CLIENT_CONNECTION_POOL_NAME] = pool.attributes.name;
    return this.connectionAttributes(target.address, target.port, extra);
  }

  private withPeer(attributes: Attributes, client: PgClient): Attributes {
    const peer = client.connection?.stream?.remoteAddress;
    if (!this._config.recordPeerAddress || !peer) return attributes;
    return withAttribute(attributes, ATTR_NETWORK_PEER_ADDRESS, peer);
  }
}
