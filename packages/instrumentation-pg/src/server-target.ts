/*
 * Where a pg Client or Pool connects: `server.address`, `server.port` and the
 * database, normalised. Never the user, the password or any other part of a
 * connection string.
 */
import { serverAddress, serverPort, type DbServerTarget } from '@connmetrics/core';
import type { PgClient, PgPoolOptions } from './internal-types';

export const POSTGRES_DEFAULT_PORT = 5432;

// The pool name the conventions fall back to, written once in core.
export { defaultPoolName } from '@connmetrics/core';

/** A host as `server.address`: a Unix socket directory stays as it is, a host name is normalised. */
function addressOf(host: unknown): string | undefined {
  if (typeof host === 'string' && host.startsWith('/')) return host;
  return serverAddress(host);
}

function databaseOf(database: unknown): string | undefined {
  return typeof database === 'string' && database.length > 0 ? database : undefined;
}

/** From a Client, whose fields pg already resolved (config, connection string, environment, defaults). */
export function clientTarget(client: PgClient): DbServerTarget {
  return {
    address: addressOf(client.host),
    port: serverPort(client.port, POSTGRES_DEFAULT_PORT),
    database: databaseOf(client.database),
  };
}

function fromConnectionString(value: unknown): { host?: string; port?: string; database?: string } {
  if (typeof value !== 'string') return {};
  try {
    const url = new URL(value);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const socketHost = url.searchParams.get('host') ?? undefined;
    return {
      host: url.hostname ? decodeURIComponent(url.hostname) : socketHost,
      port: url.port || undefined,
      database: database || undefined,
    };
  } catch {
    return {};
  }
}

/**
 * From a pool's options, for a pool none of whose clients has been seen yet:
 * the same precedence as pg (connection string, then options, then PG*
 * environment variables, then pg's defaults).
 */
export function poolOptionsTarget(options: PgPoolOptions): DbServerTarget {
  const parsed = fromConnectionString(options.connectionString);
  const env = process.env;
  const user = typeof options.user === 'string' ? options.user : env.PGUSER ?? env.USER;
  return {
    address: addressOf(parsed.host ?? options.host ?? env.PGHOST ?? 'localhost'),
    port: serverPort(parsed.port ?? options.port ?? env.PGPORT, POSTGRES_DEFAULT_PORT),
    database: databaseOf(parsed.database ?? options.database ?? env.PGDATABASE ?? user),
  };
}
