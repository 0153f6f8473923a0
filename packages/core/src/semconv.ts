/*
 * Metric and attribute names. Semantic-convention names are local copies
 * (several are still experimental and not exported by the stable entry point
 * of @opentelemetry/semantic-conventions); names with no convention live under
 * `connmetrics.` as the conventions ask of custom metrics.
 */

// connmetrics' own metrics, common to every protocol.
export const METRIC_CONNECTION_CREATED = 'connmetrics.connection.created';
export const METRIC_CONNECTION_REUSED = 'connmetrics.connection.reused';
export const METRIC_CONNECTION_FAILED = 'connmetrics.connection.failed';
/** Not in DESIGN.md's first table: says why connections went away (server restarts, kills, resets). */
export const METRIC_CONNECTION_CLOSED = 'connmetrics.connection.closed';
/** Uses a connection served, recorded once when it closes. */
export const METRIC_CONNECTION_USES = 'connmetrics.connection.uses';
/** Time since a connection's last use ended, recorded when an idle connection closes. */
export const METRIC_CONNECTION_IDLE_TIME = 'connmetrics.connection.idle_time';
/** Uses of an already-used connection that broke before any response (the keep-alive race). */
export const METRIC_CONNECTION_REUSE_FAILED = 'connmetrics.connection.reuse_failed';
export const METRIC_CONNECTION_CONNECT_DURATION = 'connmetrics.connection.connect.duration';
export const METRIC_TLS_HANDSHAKE_DURATION = 'connmetrics.tls.handshake.duration';

// Semantic conventions (experimental at the time of writing).
export const METRIC_DNS_LOOKUP_DURATION = 'dns.lookup.duration';
export const METRIC_HTTP_CLIENT_OPEN_CONNECTIONS = 'http.client.open_connections';
export const METRIC_HTTP_CLIENT_CONNECTION_DURATION = 'http.client.connection.duration';
/** The name .NET uses; no semantic convention exists for Node yet. */
export const METRIC_HTTP_CLIENT_REQUEST_TIME_IN_QUEUE = 'http.client.request.time_in_queue';

export const METRIC_DB_CLIENT_CONNECTION_COUNT = 'db.client.connection.count';
export const METRIC_DB_CLIENT_CONNECTION_IDLE_MAX = 'db.client.connection.idle.max';
export const METRIC_DB_CLIENT_CONNECTION_IDLE_MIN = 'db.client.connection.idle.min';
export const METRIC_DB_CLIENT_CONNECTION_MAX = 'db.client.connection.max';
export const METRIC_DB_CLIENT_CONNECTION_PENDING_REQUESTS = 'db.client.connection.pending_requests';
export const METRIC_DB_CLIENT_CONNECTION_TIMEOUTS = 'db.client.connection.timeouts';
export const METRIC_DB_CLIENT_CONNECTION_CREATE_TIME = 'db.client.connection.create_time';
export const METRIC_DB_CLIENT_CONNECTION_WAIT_TIME = 'db.client.connection.wait_time';
export const METRIC_DB_CLIENT_CONNECTION_USE_TIME = 'db.client.connection.use_time';

export const ATTR_NETWORK_PROTOCOL_NAME = 'network.protocol.name';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_DNS_QUESTION_NAME = 'dns.question.name';
export const ATTR_TLS_PROTOCOL_VERSION = 'tls.protocol.version';
export const ATTR_TLS_RESUMED = 'tls.resumed';
export const ATTR_HTTP_CONNECTION_STATE = 'http.connection.state';
export const ATTR_DB_SYSTEM_NAME = 'db.system.name';
export const ATTR_DB_NAMESPACE = 'db.namespace';
export const ATTR_DB_CLIENT_CONNECTION_POOL_NAME = 'db.client.connection.pool.name';
export const ATTR_DB_CLIENT_CONNECTION_STATE = 'db.client.connection.state';

/** Why a connection closed: one of the CLOSE_REASON_* values. */
export const ATTR_CONNECTION_CLOSE_REASON = 'connmetrics.connection.close.reason';
/** The client's own idle or keep-alive timeout closed it. */
export const CLOSE_REASON_IDLE_TIMEOUT = 'idle_timeout';
/** The application or the client library closed it (close(), end(), quit(), pool shrink, max uses). */
export const CLOSE_REASON_CLIENT_CLOSED = 'client_closed';
/** The peer ended it in order (FIN, `Connection: close`, GOAWAY, a terminated backend). */
export const CLOSE_REASON_SERVER_CLOSED = 'server_closed';
/** An error ended it; `error.type` says which. */
export const CLOSE_REASON_ERROR = 'error';
export type CloseReason =
  | typeof CLOSE_REASON_IDLE_TIMEOUT
  | typeof CLOSE_REASON_CLIENT_CLOSED
  | typeof CLOSE_REASON_SERVER_CLOSED
  | typeof CLOSE_REASON_ERROR;

export const HTTP_CONNECTION_STATE_ACTIVE = 'active';
export const HTTP_CONNECTION_STATE_IDLE = 'idle';
export const DB_CLIENT_CONNECTION_STATE_IDLE = 'idle';
export const DB_CLIENT_CONNECTION_STATE_USED = 'used';

/** Value of `error.type` when nothing more specific is known (semconv's fallback). */
export const ERROR_TYPE_OTHER = '_OTHER';
