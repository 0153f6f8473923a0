/*
 * The copies of node-redis the tests run against, each under its own npm
 * alias: redis 6 (@redis/client 6) and redis 5.12 (@redis/client 5.12, the
 * first with diagnostics channels). redis 4 and 5.11 are counted by module
 * patches, which only Node's own require applies (legacy.test.ts). Tests run inside jest: counting comes from the
 * channels, which need no module patch; the naming patch is exercised by
 * the fixtures, which run under Node's own require.
 */
export const COUNTED_COPIES = [
  ['redis', 6],
  ['redis5', 5],
] as const;

export type RedisModule = any;

export function load(copy: string): RedisModule {
  return require(copy);
}

export const POOL = 'db.client.connection.pool.name';
export const STATE = 'db.client.connection.state';
export const ERROR_TYPE = 'error.type';
export const PORT = 'server.port';

/** Pool name of an unnamed client of 127.0.0.1. */
export const poolOf = (port: number, db = 0) => `127.0.0.1:${port}/${db}`;

/** The server's count of accepted connections (INFO stats), read through redis-cli (which is one more). */
export function acceptedConnections(info: string): number {
  const match = /total_connections_received:(\d+)/.exec(info);
  if (!match) throw new Error(`no total_connections_received in INFO:\n${info}`);
  return Number(match[1]);
}

