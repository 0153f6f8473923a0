/*
 * Where a mysql2 connection connects: `server.address`, `server.port` and the
 * database, normalised, and which server it is. Never the user, the password
 * or any other setting.
 */
import { serverAddress, serverPort, type DbServerTarget } from '@connmetrics/core';
import type { ServerContext } from './channels';
import type { MySQL2ConnectionConfig } from './mysql2-shapes';

export const MYSQL_DEFAULT_PORT = 3306;
export const DB_SYSTEM_NAME_MYSQL = 'mysql';
export const DB_SYSTEM_NAME_MARIADB = 'mariadb';

function databaseOf(database: unknown): string | undefined {
  return typeof database === 'string' && database.length > 0 ? database : undefined;
}

/** From a connection's settings, with mysql2's defaults (localhost:3306; a Unix socket has no port). */
export function configTarget(config: MySQL2ConnectionConfig | undefined): DbServerTarget {
  if (typeof config?.socketPath === 'string' && config.socketPath.length > 0) {
    return { address: config.socketPath, database: databaseOf(config.database) };
  }
  return {
    address: serverAddress(config?.host || 'localhost'),
    port: serverPort(config?.port, MYSQL_DEFAULT_PORT),
    database: databaseOf(config?.database),
  };
}

/** From a tracing channel's context (mysql2 filled in the same defaults). */
export function contextTarget(context: ServerContext): DbServerTarget {
  const address = context.serverAddress;
  if (typeof address === 'string' && address.startsWith('/')) return { address, database: databaseOf(context.database) };
  return {
    address: serverAddress(address || 'localhost'),
    port: serverPort(context.serverPort, MYSQL_DEFAULT_PORT),
    database: databaseOf(context.database),
  };
}

/**
 * `db.system.name`: `mariadb` when the server's version string says so
 * (MariaDB announces itself as `5.5.5-10.11.6-MariaDB`), else `mysql`.
 */
export function dbSystemName(serverVersion: unknown, isMariaDB?: boolean): string {
  if (typeof serverVersion === 'string') return /mariadb/i.test(serverVersion) ? DB_SYSTEM_NAME_MARIADB : DB_SYSTEM_NAME_MYSQL;
  return isMariaDB === true ? DB_SYSTEM_NAME_MARIADB : DB_SYSTEM_NAME_MYSQL;
}
