/*
 * Addresses of the PostgreSQL, MySQL/MariaDB and Redis servers the integration tests use,
 * from the usual environment variables, and a check that fails loudly (never
 * skips) when one cannot be reached.
 */
import { connect } from 'node:net';

export interface PostgresAddress {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}

export function postgresAddress(): PostgresAddress {
  return {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD,
    database: process.env.PGDATABASE ?? 'test',
  };
}

export interface RedisAddress {
  url: string;
  host: string;
  port: number;
}

export function redisAddress(): RedisAddress {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const parsed = new URL(url);
  return { url, host: parsed.hostname, port: Number(parsed.port || 6379) };
}

export interface MysqlAddress {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}

/** The MySQL or MariaDB server of the tests (MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DATABASE). */
export function mysqlAddress(): MysqlAddress {
  return {
    host: process.env.MYSQL_HOST ?? '127.0.0.1',
    port: Number(process.env.MYSQL_PORT ?? 3306),
    user: process.env.MYSQL_USER ?? 'root',
    password: process.env.MYSQL_PASSWORD || undefined,
    database: process.env.MYSQL_DATABASE ?? 'test',
  };
}

/** Resolves when host:port accepts a TCP connection; rejects with a clear message otherwise. */
export async function requireReachable(name: string, host: string, port: number, timeoutMs = 3000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (reason: string) => {
      socket.destroy();
      reject(
        new Error(
          `${name} is not reachable at ${host}:${port} (${reason}). ` +
            `"pnpm test" starts the local servers (test/setup-services.mjs); start it or point the tests at one with the environment variables.`,
        ),
      );
    };
    socket.setTimeout(timeoutMs, () => fail('timed out'));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
  });
}
