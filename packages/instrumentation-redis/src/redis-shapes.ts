/*
 * The parts of node-redis objects this package reads. node-redis is never
 * imported at run time; these shapes hold for `@redis/client` 1.x, 5 and 6.
 */

export interface RedisSocketOptions {
  host?: string;
  port?: number | string;
  path?: string;
  tls?: boolean;
}

export interface RedisClientOptions {
  /** The client's name (CLIENT SETNAME), used as the pool name. */
  name?: string;
  database?: number;
  socket?: RedisSocketOptions;
}

/** A `RedisClient` (standalone, pool member, cluster node or sentinel client). */
export interface RedisClient {
  readonly options?: RedisClientOptions;
  readonly _clientId?: string;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener?(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** `RedisClient.prototype`, where the naming patch goes. */
export interface RedisClientPrototype {
  connect: (...args: unknown[]) => unknown;
}
