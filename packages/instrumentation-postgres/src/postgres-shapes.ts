/*
 * The parts of postgres.js (3.x) this package reads, described structurally:
 * the instrumentation never imports postgres at run time. postgres.js keeps
 * its state in closures; what it shares between its modules is what is
 * described here: the options it parsed, the queues of its pool, and the
 * connection objects that `connection.js` makes for `index.js`.
 */

/** postgres.js's parsed options (`sql.options`), as `Connection()` receives them. */
export interface PostgresOptions {
  /** One entry per host of a multi-host URL. */
  readonly host?: readonly string[];
  readonly port?: readonly number[];
  /** The Unix socket path, or false. */
  readonly path?: string | false;
  readonly database?: string;
  readonly max?: number;
  /** Seconds, or null/0 for none (a function is evaluated by postgres.js once per connection). */
  readonly idle_timeout?: unknown;
  /** A user socket factory: postgres.js then neither creates nor connects a socket itself. */
  readonly socket?: unknown;
  readonly debug?: unknown;
  readonly [option: string]: unknown;
}

/** A queue of postgres.js's pool (index.js: `open`, `busy`, `closed`, ...). */
export interface PostgresQueue {
  readonly length: number;
}

/** The queues index.js hands to every connection of one `postgres()` instance. */
export interface PostgresQueues {
  readonly connecting?: PostgresQueue;
  readonly reserved?: PostgresQueue;
  readonly closed?: PostgresQueue;
  readonly ended?: PostgresQueue;
  readonly open?: PostgresQueue;
  readonly busy?: PostgresQueue;
  readonly full?: PostgresQueue;
}

/** The callbacks index.js gives a connection; connection.js calls them with the connection object. */
export interface PostgresCallbacks {
  onopen?: (connection: PostgresConnection) => unknown;
  onend?: (connection: PostgresConnection) => unknown;
  onclose?: (connection: PostgresConnection, error: unknown) => unknown;
}

/**
 * One connection slot (connection.js's `connection` object). It is made once
 * per `max` when `postgres()` is called and connects, closes and reconnects
 * its socket over its life; index.js moves it between its queues.
 */
export interface PostgresConnection {
  /** The pool queue the slot is in (set by index.js's `move()`). */
  queue: unknown;
  /** Set by `sql.reserve()` and `sql.begin()` while the slot is theirs. */
  reserved?: unknown;
  readonly idleTimer?: { start?: (...args: unknown[]) => unknown; cancel?: (...args: unknown[]) => unknown };
  connect?: (query: unknown) => unknown;
  execute?: (query: unknown) => unknown;
  end?: () => unknown;
  terminate?: () => unknown;
}

/** A query (`Query`, a Promise subclass) or the `{ reserve, reject }` request of `sql.reserve()`. */
export interface PostgresRequest {
  /** Set to the connection's backend when the query starts executing; absent on a reserve request. */
  state?: unknown;
  reserve?: unknown;
  reject?: (error: unknown) => unknown;
}

/** connection.js's default export. */
export type ConnectionFactory = (options: PostgresOptions, queues?: PostgresQueues, callbacks?: PostgresCallbacks) => PostgresConnection;
