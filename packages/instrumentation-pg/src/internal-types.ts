/*
 * The parts of node-postgres this package reads, described structurally: the
 * instrumentation never imports pg at run time. Fields starting with `_` are
 * pg's private state, read (never written) where pg offers no public signal;
 * each use says why.
 */
import type { EventEmitter } from 'node:events';

/** The socket under a pg Connection: a net.Socket, then a TLSSocket after the SSL upgrade. */
export interface PgStream {
  remoteAddress?: string;
  readableEnded?: boolean;
}

/** `client.connection`: pg's protocol connection, an EventEmitter of backend messages. */
export interface PgConnection extends EventEmitter {
  stream?: PgStream;
}

/** A `pg.Client` (lib/client.js). */
export interface PgClient extends EventEmitter {
  connection?: PgConnection;
  host?: string;
  port?: number | string;
  database?: string;
  /** Set by pg-pool on every checkout. */
  release?: unknown;
  /** The query running now (pg 8.12+; `activeQuery` before, now a getter that warns). */
  _activeQuery?: unknown;
  activeQuery?: unknown;
  _connecting?: boolean;
  _connected?: boolean;
  _ending?: boolean;
  _ended?: boolean;
}

/** The options a pg-pool `Pool` keeps (`pool.options`), after its defaults are applied. */
export interface PgPoolOptions {
  max?: number;
  min?: number;
  connectionTimeoutMillis?: number;
  idleTimeoutMillis?: number;
  host?: unknown;
  port?: unknown;
  database?: unknown;
  user?: unknown;
  connectionString?: unknown;
  [option: string]: unknown;
}

/** A pg-pool `Pool` (also `pg.Pool`, which extends it). */
export interface PgPool extends EventEmitter {
  options: PgPoolOptions;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  ending?: boolean;
  ended?: boolean;
}
