/*
 * The parts of ioredis objects this package reads. ioredis is never imported
 * at run time; these shapes hold for ioredis 5.0 to 6 (`built/Redis.js` and
 * `built/DataHandler.js` have kept them since ioredis 5.0).
 */

/** A client's socket (`net.Socket` or `tls.TLSSocket`). */
export interface RedisSocket {
  readonly errored?: unknown;
  readonly destroyed?: boolean;
  readonly closed?: boolean;
  readonly writableEnded?: boolean;
  readonly remoteAddress?: string;
  prependOnceListener(event: 'close' | 'end', listener: () => void): unknown;
  removeListener(event: 'close' | 'end', listener: () => void): unknown;
}

export interface RedisClientOptions {
  host?: string;
  port?: number | string;
  path?: string;
  db?: number | string;
  connectionName?: string;
  connectTimeout?: number;
}

/** One entry of a client's command queue. */
export interface QueuedCommand {
  readonly command?: RedisCommand;
}

/** A `Redis` instance: one connection at a time, replaced on every reconnect. */
export interface RedisClient {
  /** `wait`, `connecting`, `connect` (handshake), `ready`, `reconnecting`, `close`, `end`, ... */
  readonly status?: string;
  readonly options?: RedisClientOptions;
  /** The socket of the current (or last) connection attempt. */
  readonly stream?: RedisSocket;
  /** Commands written and waiting for their reply, oldest first (a Denque). */
  readonly commandQueue?: { readonly length: number; peekBack?(): QueuedCommand | undefined };
  /** Set by `disconnect()` and by QUIT: the application is closing the connection. */
  readonly manuallyClosing?: boolean;
  once?(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener?(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** An ioredis `Command`. */
export interface RedisCommand {
  readonly name?: string;
  readonly args?: unknown[];
}

/**
 * `DataHandler` (built/DataHandler.js): parses a connection's replies; its
 * `shiftCommand()` takes the command a reply answers off the queue. `Redis.prototype`
 * (built/Redis.js) is patched at `connect()` and `sendCommand()`.
 */
export interface RedisDataHandler {
  readonly redis?: RedisClient;
}

/** Status of a client whose connection is ready: commands written now are the application's. */
export const STATUS_READY = 'ready';
/** Statuses in which `connect()` rejects at once without making an attempt. */
export const STATUSES_ALREADY_CONNECTING: ReadonlySet<string> = new Set(['connecting', 'connect', 'ready']);
