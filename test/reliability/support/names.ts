/** Metric and attribute names the suite asserts on. */
import { DB_COUNT, OPEN } from '@connmetrics/test-harness';

export { CREATED, REUSED, FAILED, CLOSED, CONNECT, TLS, DNS, OPEN, LIFETIME, QUEUE, DB_COUNT, DB_PENDING } from '@connmetrics/test-harness';

export const ERROR_TYPE = 'error.type';
export const POOL_NAME = 'db.client.connection.pool.name';
export const HTTP_STATE = 'http.connection.state';
export const DB_STATE = 'db.client.connection.state';

/** The gauge of open connections of each protocol, and its state attribute. */
export const GAUGES = {
  undici: { name: OPEN, state: HTTP_STATE, busy: 'active' },
  http: { name: OPEN, state: HTTP_STATE, busy: 'active' },
  grpc: { name: OPEN, state: HTTP_STATE, busy: 'active' },
  ioredis: { name: DB_COUNT, state: DB_STATE, busy: 'used' },
  redis: { name: DB_COUNT, state: DB_STATE, busy: 'used' },
  pg: { name: DB_COUNT, state: DB_STATE, busy: 'used' },
  mysql2: { name: DB_COUNT, state: DB_STATE, busy: 'used' },
  postgres: { name: DB_COUNT, state: DB_STATE, busy: 'used' },
} as const;
