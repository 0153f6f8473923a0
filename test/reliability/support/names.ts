/** Metric and attribute names the suite asserts on. */
export const CREATED = 'connmetrics.connection.created';
export const REUSED = 'connmetrics.connection.reused';
export const FAILED = 'connmetrics.connection.failed';
export const CLOSED = 'connmetrics.connection.closed';
export const CONNECT = 'connmetrics.connection.connect.duration';
export const TLS = 'connmetrics.tls.handshake.duration';
export const DNS = 'dns.lookup.duration';
export const OPEN = 'http.client.open_connections';
export const LIFETIME = 'http.client.connection.duration';
export const QUEUE = 'http.client.request.time_in_queue';
export const DB_COUNT = 'db.client.connection.count';
export const DB_PENDING = 'db.client.connection.pending_requests';

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
  pg: { name: DB_COUNT, state: DB_STATE, busy: 'used' },
} as const;
