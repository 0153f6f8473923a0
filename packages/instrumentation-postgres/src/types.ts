import type { ConnectionInstrumentationConfig } from '@connmetrics/core';

/** What the {@link PostgresConnectionInstrumentationConfig.poolName} hook is told about a pool. */
export interface PostgresPoolInfo {
  /**
   * The options postgres.js parsed for the pool (`sql.options`), e.g. to read
   * `connection.application_name`. It is postgres.js's own object: read it, do not change it.
   */
  readonly options: Readonly<Record<string, unknown>>;
  /** `server.address` of the pool's connections (its first host). */
  readonly serverAddress?: string;
  /** `server.port` of the pool's connections. */
  readonly serverPort?: number;
  /** The database the pool connects to. */
  readonly database?: string;
  /** The name used when the hook returns nothing: `server.address:server.port/database`. */
  readonly defaultName: string;
}

/** Options of {@link PostgresConnectionInstrumentation}, beside every option of {@link ConnectionInstrumentationConfig}. */
export interface PostgresConnectionInstrumentationConfig extends ConnectionInstrumentationConfig {
  /**
   * Names a pool (one `postgres()` instance): the value of
   * `db.client.connection.pool.name` on every metric of the pool and of its
   * connections. Called once per pool, when it first connects. Return a
   * short, stable name (each distinct name is a time series); return
   * undefined to keep the default. Pools that share a name are reported
   * together. Runs guarded: if it throws, the default is used.
   * @default undefined (every pool is named `server.address:server.port/database`)
   */
  poolName?: (info: PostgresPoolInfo) => string | undefined;
}
