/*
 * The parts of mysql2 this package reads, described structurally: the
 * instrumentation never imports mysql2 at run time. Fields starting with `_`
 * are mysql2's private state, read (never written) where mysql2 offers no
 * public signal; each use says why.
 */
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

/** A connection's settings (`connection.config`, a ConnectionConfig). */
export interface MySQL2ConnectionConfig {
  host?: string;
  port?: number;
  socketPath?: string;
  database?: string;
  /** Set on every connection a pool creates (the pool's connectionConfig carries it). */
  pool?: MySQL2Pool;
}

/** mysql2's ring queue (lib/ring_queue.js). */
export interface MySQL2Queue {
  readonly length: number;
}

/** A `Connection` or `PoolConnection` (lib/base/connection.js, lib/pool_connection.js). */
export interface MySQL2Connection extends EventEmitter {
  config?: MySQL2ConnectionConfig;
  /** The socket: a net.Socket, replaced by a TLSSocket when TLS starts during the handshake. */
  stream?: Socket;
  /** The server's connection id (CONNECTION_ID()), once the handshake is done. */
  threadId?: number | null;
  /** The server's hello, set when the handshake and authentication are done. */
  _handshakePacket?: { serverVersion?: unknown } | null;
  /** Set from the server's hello: its version string names MariaDB. */
  _isMariaDB?: boolean;
  /** True once the client ends it: end() (COM_QUIT), destroy(), close(), or a fatal error. */
  _closing?: boolean;
  /** The fatal error that closed it: a socket error, a timeout, a fatal server error. */
  _fatalError?: { code?: unknown } | null;
  /** Set by mysql2 when the socket closed while it was not closing it itself (PROTOCOL_CONNECTION_LOST). */
  _protocolError?: { code?: unknown } | null;
  /** The command running now (the handshake, a query, ...). */
  _command?: object | null;
  /** The owning pool; null once removed from it. */
  _pool?: MySQL2Pool | null;
  /** True between PoolConnection#release() and its next checkout. */
  _released?: boolean;
  /** Set by PoolCluster on each connection it hands out: the cluster node's id. */
  _clusterId?: unknown;
}

/** A pool's settings (`pool.config`, a PoolConfig). */
export interface MySQL2PoolConfig {
  connectionLimit?: number;
  maxIdle?: number;
  idleTimeout?: number;
  queueLimit?: number;
  connectionConfig?: MySQL2ConnectionConfig;
}

/** A `Pool` (lib/base/pool.js). */
export interface MySQL2Pool extends EventEmitter {
  config?: MySQL2PoolConfig;
  _allConnections?: MySQL2Queue;
  _freeConnections?: MySQL2Queue;
  _connectionQueue?: MySQL2Queue;
  _closed?: boolean;
}

/** `BaseConnection.prototype` of lib/base/connection.js. */
export interface MySQL2ConnectionPrototype {
  addCommand(command: unknown): unknown;
  startTLS?(onSecure: unknown): unknown;
}
