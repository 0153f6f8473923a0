/*
 * The parts of ioredis objects this package reads. ioredis is never imported
 * at run time; these shapes hold for ioredis 5 and 6.
 */

/** A client's socket (`net.Socket` or `tls.TLSSocket`). */
export interface RedisSocket {
  readonly errored?: unknown;
  readonly destroyed?: boolean;
  readonly closed?: boolean;
  readonly remoteAddress?: string;
  once(event: 'close', listener: () => void): unknown;
  removeListener?(event: 'close', listener: () => void): unknown;
}

export interface RedisClientOptions {
  host?: string;
  port?: number | string;
  path?: string;
  db?: number | string;
  connectionName?: string;
  connectTimeout?: number;
}

/** A `Redis` instance: one connection at a time, replaced on every reconnect. */
export interface RedisClient {
  /** `wait`, `connecting`, `connect` (handshake), `ready`, `reconnecting`, `close`, `end`, ... */
  readonly status?: string;
  readonly options?: RedisClientOptions;
  /** The socket of the current (or last) connection attempt. */
  readonly stream?: RedisSocket;
  /** Commands written and waiting for their reply, newest last. */
  readonly commandQueue?: { peekBack?(): { command?: unknown } | undefined };
  once?(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener?(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** An ioredis `Command`. */
export interface RedisCommand {
  name?: string;
  args?: unknown[];
  resolve?: (value: unknown) => unknown;
  reject?: (error: unknown) => unknown;
}

/** `Redis.prototype`, where the patches go. */
export interface RedisPrototype {
  connect: (...args: unknown[]) => unknown;
  sendCommand: (...args: unknown[]) => unknown;
}

/** Status of a client whose connection is ready: commands written now are the application's. */
export const STATUS_READY = 'ready';
/** Statuses in which `connect()` rejects at once without making an attempt. */
export const STATUSES_ALREADY_CONNECTING: ReadonlySet<string> = new Set(['connecting', 'connect', 'ready']);
