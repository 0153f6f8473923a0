import type { ConnectionInstrumentationConfig } from '@connmetrics/core';

/** What the {@link PgConnectionInstrumentationConfig.poolName} hook is told about a pool. */
export interface PgPoolInfo {
  /** The `pg.Pool` (or pg-pool `Pool`) itself, e.g. to look up a name you stored in a `WeakMap`. */
  readonly pool: object;
  /**
   * The options the pool was created with (`pool.options`), e.g. to read
   * `application_name` or a field of your own. It is the pool's own object:
   * read it, do not change it.
   */
  readonly options: Readonly<Record<string, unknown>>;
  /** `server.address` of the pool's connections. */
  readonly serverAddress?: string;
  /** `server.port` of the pool's connections. */
  readonly serverPort?: number;
  /** The database the pool connects to. */
  readonly database?: string;
  /** The name used when the hook returns nothing: `server.address:server.port/database`. */
  readonly defaultName: string;
}

/** Options of {@link PgConnectionInstrumentation}, beside every option of {@link ConnectionInstrumentationConfig}. */
export interface PgConnectionInstrumentationConfig extends ConnectionInstrumentationConfig {
  /**
   * Names a pool: the value of `db.client.connection.pool.name` on every
   * metric of the pool and of its connections. Called once per pool, when the
   * pool is first used. Return a short, stable name (each distinct name is a
   * time series); return undefined to keep the default. Pools that share a
   * name are reported together (their numbers are added up). Runs guarded:
   * if it throws, the default is used.
   * @default undefined (every pool is named `server.address:server.port/database`)
   */
  poolName?: (info: PgPoolInfo) => string | undefined;
}
