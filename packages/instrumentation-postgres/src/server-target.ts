/*
 * Where a postgres.js pool connects: `server.address`, `server.port` and the
 * database, from the options postgres.js parsed (which already applied the
 * URL, the options and the PG* environment variables). Never the user, the
 * password or any other part of a connection string.
 */
import { serverAddress, serverPort, type DbServerTarget } from '@connmetrics/core';
import type { PostgresOptions } from './postgres-shapes';

export const POSTGRES_DEFAULT_PORT = 5432;

/** A host as `server.address`: a Unix socket directory stays as it is, a host name is normalised. */
export function addressOf(host: unknown): string | undefined {
  if (typeof host === 'string' && host.startsWith('/')) return host;
  return serverAddress(host);
}

/** The pool's first host (postgres.js tries the hosts of a multi-host URL in turn). */
export function defaultTarget(options: PostgresOptions): DbServerTarget {
  const database = typeof options.database === 'string' && options.database.length > 0 ? options.database : undefined;
  return {
    address: addressOf(Array.isArray(options.host) ? options.host[0] : undefined),
    port: serverPort(Array.isArray(options.port) ? options.port[0] : undefined, POSTGRES_DEFAULT_PORT),
    database,
  };
}

/** The host a socket connected to (postgres.js notes it on the socket), else the pool's first host. */
export function socketTarget(socket: { host?: unknown; port?: unknown } | undefined, fallback: DbServerTarget): DbServerTarget {
  if (!socket || typeof socket.host !== 'string') return fallback;
  return { address: addressOf(socket.host), port: serverPort(socket.port, fallback.port), database: fallback.database };
}
