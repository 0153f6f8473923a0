/*
 * The tracing channels mysql2 publishes since 3.20.0 (lib/tracing.js), and
 * the parts of their context objects this package reads. The contexts carry
 * no connection and no pool: `mysql2:pool:connect` hands over the checked-out
 * connection as its result, the rest comes from the module patch.
 */
export const CHANNEL_CONNECT = 'mysql2:connect';
export const CHANNEL_POOL_CONNECT = 'mysql2:pool:connect';

/** The tracing channels' event channels this package subscribes to. */
export const MySQL2Channel = {
  ConnectStart: `tracing:${CHANNEL_CONNECT}:start`,
  ConnectError: `tracing:${CHANNEL_CONNECT}:error`,
  ConnectAsyncEnd: `tracing:${CHANNEL_CONNECT}:asyncEnd`,
  PoolConnectStart: `tracing:${CHANNEL_POOL_CONNECT}:start`,
  PoolConnectEnd: `tracing:${CHANNEL_POOL_CONNECT}:end`,
  PoolConnectAsyncStart: `tracing:${CHANNEL_POOL_CONNECT}:asyncStart`,
  PoolConnectAsyncEnd: `tracing:${CHANNEL_POOL_CONNECT}:asyncEnd`,
} as const;

/** The first mysql2 version that publishes the channels. */
export const FIRST_VERSION_WITH_CHANNELS = '3.20.0';

/** Where a connection connects, as mysql2 puts it in every context. */
export interface ServerContext {
  database?: string;
  /** Host name, or the Unix socket path. */
  serverAddress?: string;
  /** undefined for a Unix socket. */
  serverPort?: number;
}

/** `mysql2:connect`: one connection handshake, from its socket's start until authenticated (or failed). */
export interface ConnectContext extends ServerContext {
  /** Set on failure. */
  error?: unknown;
  /** The server's handshake packet, on success. */
  result?: { serverVersion?: unknown; connectionId?: unknown };
}

/** `mysql2:pool:connect`: one `pool.getConnection()` (also under `pool.query()`/`execute()`), until its callback. */
export interface PoolConnectContext extends ServerContext {
  error?: unknown;
  /** The PoolConnection handed out, on success. */
  result?: unknown;
}
