/**
 * node-redis's diagnostics channels (`@redis/client` 5.12 and later) this
 * package reads, each named once. `connect`, `command` and `batch` are tracing
 * channels (a `tracePromise` each: start, then asyncEnd, with `error` when it
 * failed); the others are point events. Every message names its client by
 * `clientId`, unique per client (each pool member and cluster node is a client).
 */
export const NodeRedisChannel = {
  /** `client.connect()`: published synchronously before the first socket is created. */
  ConnectStart: 'tracing:node-redis:connect:start',
  /** `client.connect()` rejected: reconnects are off or the reconnect strategy gave up. */
  ConnectError: 'tracing:node-redis:connect:error',
  /** One `sendCommand()`, from the moment it is queued to its reply. */
  CommandStart: 'tracing:node-redis:command:start',
  CommandAsyncEnd: 'tracing:node-redis:command:asyncEnd',
  /** A MULTI transaction or a pipeline; a pipeline's commands are also published one by one on `command`. */
  BatchStart: 'tracing:node-redis:batch:start',
  BatchAsyncEnd: 'tracing:node-redis:batch:asyncEnd',
  /** A connection finished its handshake (HELLO/AUTH, SETNAME, SELECT, CLIENT SETINFO) and is ready. */
  ConnectionReady: 'node-redis:connection:ready',
  /** A ready connection (or a client that never got one) went away. */
  ConnectionClosed: 'node-redis:connection:closed',
  /** An error emitted by a client: a failed attempt, or the error that closed a ready connection. */
  Error: 'node-redis:error',
  /** A pool handed a waiting command a member client. */
  PoolConnectionWait: 'node-redis:pool:connection-wait',
} as const;

/** The fields of a `node-redis:connect` message this package reads. */
export interface ConnectContext {
  clientId?: string;
  /** Host, or the Unix socket path. */
  serverAddress?: string;
  serverPort?: number;
}

/** The fields of a `node-redis:command` message this package reads. */
export interface CommandContext {
  clientId?: string;
  /** The command name, upper case. */
  command?: string;
  /** Arguments, already redacted by node-redis; only a sub-command is read here. */
  args?: unknown[];
  database?: number;
  /** Set on asyncEnd when the command failed. */
  error?: unknown;
}

/** The fields of a `node-redis:batch` message this package reads. */
export interface BatchContext {
  clientId?: string;
  /** `MULTI` or `PIPELINE`. */
  batchMode?: string;
  /** The commands the application queued. */
  batchSize?: number;
  error?: unknown;
}

export interface ConnectionReadyMessage {
  clientId?: string;
  serverAddress?: string;
  serverPort?: number;
  /** From the start of the attempt (socket creation) to ready, in milliseconds. */
  createTimeMs?: number;
}

export interface ConnectionClosedMessage {
  clientId?: string;
  /** `application_close` (quit, close, destroy) or `error` (the socket failed or the server closed it). */
  reason?: string;
  /** Whether the client had a ready connection. */
  wasConnected?: boolean;
}

export interface ErrorMessage {
  clientId?: string;
  error?: unknown;
  /** `client`, `cluster`, ... */
  origin?: string;
  internal?: boolean;
}

export interface PoolConnectionWaitMessage {
  /** The member client that got the command. */
  clientId?: string;
  /** `performance.now()` when the command began to wait. */
  waitStartTimestamp?: number;
}

/** `reason` of a close the application asked for. */
export const CLOSED_BY_APPLICATION = 'application_close';
export const BATCH_MULTI = 'MULTI';
