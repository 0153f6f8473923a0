/*
 * postgres.js 4's diagnostics channels (its src/diagnostics.js), named once:
 * postgres.js 4 is an ES module rewrite that publishes its pool's events and
 * traces its connects and queries, so it is counted from these channels with
 * nothing patched, however it is loaded. postgres.js 3 publishes none of them.
 */

export const PostgresChannel = {
  /** Plain channel: the pool's events (`open`, `idle`, `lease`, `release`, `close`, `wait`). */
  Pool: 'postgres:pool',
  ConnectStart: 'tracing:postgres:connect:start',
  ConnectAsyncEnd: 'tracing:postgres:connect:asyncEnd',
  QueryAsyncEnd: 'tracing:postgres:query:asyncEnd',
} as const;

/** postgres.js's `pool.stats()`, published with every pool event. */
export interface PoolStats {
  readonly connections?: unknown;
  readonly opening?: unknown;
  readonly idle?: unknown;
  readonly leased?: unknown;
  readonly waiting?: unknown;
}

/** A `postgres:pool` message. `connection` is the connection's id (unique in the process), null for `wait`. */
export interface PoolEventMessage {
  readonly event?: unknown;
  readonly connection?: unknown;
  readonly host?: unknown;
  readonly port?: unknown;
  readonly database?: unknown;
  readonly stats?: PoolStats;
  /** `lease`: how long it waited for the connection, in milliseconds. */
  readonly waited?: unknown;
  /** `close`: why it closed (postgres.js's CONNECTION_DESTROYED when it closed it itself). */
  readonly error?: unknown;
}

/** The context of a traced connect: where it connects, then its result or error. */
export interface ConnectContext {
  readonly host?: unknown;
  readonly port?: unknown;
  readonly path?: unknown;
  readonly database?: unknown;
  readonly error?: unknown;
}

/** The context of a traced query. `connection` and `host`/`port` are set once it was written to a connection. */
export interface QueryContext {
  readonly connection?: unknown;
  readonly host?: unknown;
  readonly port?: unknown;
  readonly database?: unknown;
  /** `performance.now()` when it was made, was sent, and completed. */
  readonly queued?: unknown;
  readonly sent?: unknown;
  readonly complete?: unknown;
  readonly error?: unknown;
}
