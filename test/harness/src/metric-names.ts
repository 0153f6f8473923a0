/*
 * The metric names of the contract (DESIGN.md), spelled out here rather than
 * imported from core: a test that asserts them catches an accidental rename.
 */
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
export const DB_IDLE_MAX = 'db.client.connection.idle.max';
export const DB_IDLE_MIN = 'db.client.connection.idle.min';
export const DB_MAX = 'db.client.connection.max';
export const DB_PENDING = 'db.client.connection.pending_requests';
export const DB_TIMEOUTS = 'db.client.connection.timeouts';
export const DB_CREATE_TIME = 'db.client.connection.create_time';
export const DB_WAIT_TIME = 'db.client.connection.wait_time';
export const DB_USE_TIME = 'db.client.connection.use_time';

export const USES = 'connmetrics.connection.uses';
export const IDLE_TIME = 'connmetrics.connection.idle_time';
export const REUSE_FAILED = 'connmetrics.connection.reuse_failed';
export const CLOSE_REASON = 'connmetrics.connection.close.reason';
