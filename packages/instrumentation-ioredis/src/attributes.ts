import type { Attributes } from '@opentelemetry/api';
import { ATTR_DB_CLIENT_CONNECTION_POOL_NAME, ATTR_DB_SYSTEM_NAME, serverAddress, serverPort } from '@connmetrics/core';
import type { RedisClientOptions } from './redis-shapes';

export const DB_SYSTEM_REDIS = 'redis';
/** ioredis's defaults when the options name no host or port. */
export const DEFAULT_HOST = 'localhost';
export const DEFAULT_PORT = 6379;

/** Where a client connects, as ioredis itself reports it. */
export interface RedisTarget {
  readonly address: string | undefined;
  readonly port: number | undefined;
  /** `db.client.connection.pool.name`: `connectionName`, else `host:port/db`. */
  readonly poolName: string;
}

/**
 * The target of a client from its options: host (default `localhost`) and
 * port (default 6379), or the Unix socket path; the pool name is the
 * `connectionName` option when set, else `host:port/db`. Nothing else from the
 * options (never `password` or `username`) is read.
 */
export function redisTarget(options: RedisClientOptions | undefined): RedisTarget {
  const db = Number(options?.db ?? 0) || 0;
  const name = typeof options?.connectionName === 'string' && options.connectionName !== '' ? options.connectionName : undefined;
  if (typeof options?.path === 'string' && options.path !== '') {
    return { address: options.path, port: undefined, poolName: name ?? `${options.path}/${db}` };
  }
  const address = serverAddress(options?.host || DEFAULT_HOST);
  const port = serverPort(options?.port, DEFAULT_PORT);
  const host = address !== undefined && address.includes(':') ? `[${address}]` : address;
  return { address, port, poolName: name ?? `${host}:${port}/${db}` };
}

/** The database attributes added to the common ones. */
export function databaseAttributes(target: RedisTarget): Attributes {
  return { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_REDIS, [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: target.poolName };
}
