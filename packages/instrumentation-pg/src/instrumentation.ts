import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_NETWORK_PEER_ADDRESS,
  ConnectionInstrumentationBase,
  MethodWraps,
  PoolRegistry,
  PoolMetrics,
  defaultPoolName,
  guard,
  poolNameFromHook,
  reportFailure,
  type ChannelHandlers,
  type DbServerTarget,
  withAttribute,
} from '@connmetrics/core';
import type { PgClient, PgPool } from './internal-types';
import { patchLoadedCopies, pgModuleDefinitions, type CheckoutStart, type PgHooks } from './patches';
import { PgConnections, type PgPoolEntry } from './pg-connections';
import { pgPoolCounts } from './pg-pool';
import { clientTarget, poolOptionsTarget } from './server-target';
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
 * the bookkeeping (pg-connections.ts) and to core's pool registry, gauges
 * and timings.
 */
export class PgConnectionInstrumentation extends ConnectionInstrumentationBase<PgConnectionInstrumentationConfig> {
  protected readonly protocolName = DB_SYSTEM_NAME_POSTGRESQL;
  declare private _connections: PgConnections | undefined;
  declare private _methodWraps: MethodWraps | undefined;
  declare private _pools: PoolRegistry<PgPool, PgClient> | undefined;
  declare private _poolMetrics: PoolMetrics | undefined;
  /** The 'release' listener added to every pool (one per instance: nothing is made per pool). */
  declare private _poolReleaseListener: ((error: unknown, client: unknown) => void) | undefined;
  declare private _pgHooks: PgHooks | undefined;
  /** Prototypes patched at enable() because pg was loaded before. */
  declare private _latePatched: Set<object> | undefined;

  constructor(config: PgConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  private get pools(): PoolRegistry<PgPool, PgClient> {
    return (this._pools ??= new PoolRegistry<PgPool, PgClient>({
      // Named from its first client seen (PoolEntry.identify), else, at a collection that comes first, from its options.
      name: (pool, client) => this.poolName(pool, client ? clientTarget(client) : poolOptionsTarget(pool.options ?? {})),
      claim: (pool) => this.claim(pool),
      claimEpoch: () => this.claimEpoch(),
      counts: pgPoolCounts,
      ended: (pool) => pool.ended === true,
      listen: (pool) => pool.on('release', this.poolReleaseListener),
      unlisten: (pool) => pool.removeListener('release', this.poolReleaseListener),
    }));
  }

  /** The pools' timings, and their gauges on this instance's MeterProvider. */
  private get poolMetrics(): PoolMetrics {
    return (this._poolMetrics ??= new PoolMetrics(this.pools));
  }

  private get connections(): PgConnections {
    const self = this;
    return (this._connections ??= new PgConnections({
      get connectionInstruments() {
        return self._connectionInstruments;
      },
      diag: this._diag,
      get pools() {
        return self.pools;
      },
      get timings() {
        return self.poolMetrics.timings;
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
    this.poolMetrics.useMeter(this.meter);
  }

  protected override onDisabled(): void {
    this._connections?.clear();
    this._pools?.clear();
    this._poolMetrics?.timings.clear();
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
        let entry: PgPoolEntry | undefined;
        try {
          if (instrumentation._enabled && !pool.ending) entry = instrumentation.pools.register(pool);
        } catch (error) {
          reportFailure(diag, 'pg creatingClient', error);
        }
        return instrumentation.connections.creatingClient(entry, create);
      },
    };
  }

  /** Per use, so a plain function with its own try/catch (no argument array per call, as guard() makes). */
  private get poolReleaseListener(): (error: unknown, client: unknown) => void {
    return (this._poolReleaseListener ??= (_error: unknown, client: unknown): void => {
      try {
        this.connections.released(client);
      } catch (error) {
        reportFailure(this._diag, 'pg-pool release', error);
      }
    });
  }

  private poolName(pool: PgPool, target: DbServerTarget): string {
    return poolNameFromHook(
      this._config.poolName,
      defaultPoolName(target),
      () => ({
        pool,
        options: pool.options ?? {},
        serverAddress: target.address,
        serverPort: target.port,
        database: target.database,
      }),
      this._diag,
    );
  }

  private pgAttributes(target: DbServerTarget, pool: PgPoolEntry | undefined): Attributes {
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
