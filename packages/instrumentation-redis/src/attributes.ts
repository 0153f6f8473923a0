import type { Attributes } from '@opentelemetry/api';
import { ATTR_DB_CLIENT_CONNECTION_POOL_NAME, ATTR_DB_SYSTEM_NAME, serverAddress, serverPort } from '@connmetrics/core';
import type { RedisClient } from './redis-shapes';

export const DB_SYSTEM_REDIS = 'redis';
const DEFAULT_PORT = 6379;

/** Where a client connects, as node-redis reports it. */
export interface RedisTarget {
  readonly address: string | undefined;
  readonly port: number | undefined;
  /** `db.client.connection.pool.name`: the client's `name`, else `host:port/db`. */
  readonly poolName: string;
}

/** node-redis's client ids: `host:port/db-` and 8 hex digits. */
const CLIENT_ID_DB = /\/(\d+)-[0-9a-f]{8}$/;

/**
 * The target of a client from what its channel messages say (`serverAddress`,
 * `serverPort`: a host and port, or a Unix socket path) and, where the naming
 * patch supplied the client, its `name` and `database` options. Without the
 * client the database comes from the client id node-redis builds from it.
 * Nothing else of the options (never `password`, `username` or a URL) is read.
 */
export function redisTarget(address: unknown, port: unknown, clientId: string, client: RedisClient | undefined): RedisTarget {
  const options = client?.options;
  const name = typeof options?.name === 'string' && options.name !== '' ? options.name : undefined;
  const database = Number(options?.database ?? CLIENT_ID_DB.exec(clientId)?.[1] ?? 0) || 0;
  const host = typeof address === 'string' && address !== '' ? address : 'localhost';
  if (port === undefined && host.includes('/')) {
    return { address: host, port: undefined, poolName: name ?? `${host}/${database}` };
  }
  const bare = serverAddress(host);
  const number = serverPort(port, DEFAULT_PORT);
  const shown = bare !== undefined && bare.includes(':') ? `[${bare}]` : bare;
  return { address: bare, port: number, poolName: name ?? `${shown}:${number}/${database}` };
}

/** The database attributes added to the common ones. */
export function databaseAttributes(target: RedisTarget): Attributes {
  return { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_REDIS, [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: target.poolName };
}
