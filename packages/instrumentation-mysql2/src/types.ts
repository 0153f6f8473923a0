import type { ConnectionInstrumentationConfig } from '@connmetrics/core';

/** What the {@link MySQL2ConnectionInstrumentationConfig.poolName} hook is told about a pool. */
export interface MySQL2PoolInfo {
  /** The mysql2 `Pool` itself (for a promise pool, the core pool under it), e.g. to look up a name you stored in a `WeakMap`. */
  readonly pool: object;
  /** The id of the pool's node when the pool belongs to a `PoolCluster`. */
  readonly clusterNodeId?: string;
  /** `server.address` of the pool's connections (host name, or Unix socket path). */
  readonly serverAddress?: string;
  /** `server.port` of the pool's connections (undefined for a Unix socket). */
  readonly serverPort?: number;
  /** The database the pool connects to. */
  readonly database?: string;
  /** The name used when the hook returns nothing: the cluster node id, else `server.address:server.port/database`. */
  readonly defaultName: string;
}

/** Options of {@link MySQL2ConnectionInstrumentation}, beside every option of {@link ConnectionInstrumentationConfig}. */
export interface MySQL2ConnectionInstrumentationConfig extends ConnectionInstrumentationConfig {
  /**
   * Names a pool: the value of `db.client.connection.pool.name` on every
   * metric of the pool and of its connections. Called once per pool, at its
   * first checkout. Return a short, stable name (each distinct name is a time
   * series); return undefined to keep the default. Pools that share a name are
   * reported together (their numbers are added up). Runs guarded: if it
   * throws, the default is used.
   * @default undefined (a PoolCluster node is named by its id, any other pool `server.address:server.port/database`)
   */
  poolName?: (info: MySQL2PoolInfo) => string | undefined;
}
