import type { UndiciConnectionInstrumentation } from '@connmetrics/instrumentation-undici';
import type { HttpConnectionInstrumentation } from '@connmetrics/instrumentation-http';
import type { PgConnectionInstrumentation } from '@connmetrics/instrumentation-pg';
import type { IORedisConnectionInstrumentation } from '@connmetrics/instrumentation-ioredis';
import type { RedisConnectionInstrumentation } from '@connmetrics/instrumentation-redis';
import type { GrpcConnectionInstrumentation } from '@connmetrics/instrumentation-grpc';
import type { MySQL2ConnectionInstrumentation } from '@connmetrics/instrumentation-mysql2';
import type { PostgresConnectionInstrumentation } from '@connmetrics/instrumentation-postgres';

/** The options a protocol package's constructor accepts. */
type ConfigOf<T extends abstract new (...args: any[]) => unknown> = NonNullable<ConstructorParameters<T>[0]>;

/**
 * Options of {@link getConnectionInstrumentations}, keyed by the short name of
 * each instrumentation. Each entry is passed as is to that instrumentation's
 * constructor; `enabled: false` leaves it out.
 */
export interface ConnectionInstrumentationsConfig {
  /**
   * `@connmetrics/instrumentation-undici`: undici and Node's global `fetch`.
   * @default {}
   */
  undici?: ConfigOf<typeof UndiciConnectionInstrumentation>;
  /**
   * `@connmetrics/instrumentation-http`: `node:http` and `node:https` clients.
   * @default {}
   */
  http?: ConfigOf<typeof HttpConnectionInstrumentation>;
  /**
   * `@connmetrics/instrumentation-pg`: node-postgres `Client` and `Pool`.
   * @default {}
   */
  pg?: ConfigOf<typeof PgConnectionInstrumentation>;
  /**
   * `@connmetrics/instrumentation-ioredis`: ioredis `Redis` and `Cluster`.
   * @default {}
   */
  ioredis?: ConfigOf<typeof IORedisConnectionInstrumentation>;
  /**
   * `@connmetrics/instrumentation-redis`: node-redis (`redis` / `@redis/client` 4, 5 and 6) clients, pools, clusters and sentinels.
   * @default {}
   */
  redis?: ConfigOf<typeof RedisConnectionInstrumentation>;
  /**
   * `@connmetrics/instrumentation-grpc`: `@grpc/grpc-js` channels.
   * @default {}
   */
  grpc?: ConfigOf<typeof GrpcConnectionInstrumentation>;
  /**
   * `@connmetrics/instrumentation-mysql2`: mysql2 connections, pools and pool clusters.
   * @default {}
   */
  mysql2?: ConfigOf<typeof MySQL2ConnectionInstrumentation>;
  /**
   * `@connmetrics/instrumentation-postgres`: postgres.js (`postgres`) pools, reservations and transactions.
   * @default {}
   */
  postgres?: ConfigOf<typeof PostgresConnectionInstrumentation>;
}

/** Short name of an instrumentation, as used in the config and the environment variables. */
export type ConnectionInstrumentationName = keyof ConnectionInstrumentationsConfig;
