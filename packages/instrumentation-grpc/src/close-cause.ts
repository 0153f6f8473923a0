/*
 * Why an HTTP/2 session closed, read when its 'close' event comes:
 *
 * - `server_closed`: the server sent GOAWAY (NO_ERROR: a graceful shutdown,
 *   its max connection age or idle time), or ended the connection without one;
 * - `error`: the socket failed (ECONNRESET), or a GOAWAY carried an error
 *   code (`error.type` = the HTTP/2 error name, e.g. ENHANCE_YOUR_CALM);
 * - `idle_timeout`: grpc-js closed it after the channel's idle timeout
 *   (`grpc.client_idle_timeout_ms`) with no call in between;
 * - `client_closed`: the application or grpc-js closed it otherwise
 *   (`client.close()`, a channel shut down, a session closed by the caller).
 */
import { constants } from 'node:http2';
import type { Http2Session } from 'node:http2';
import {
  CLOSE_REASON_CLIENT_CLOSED,
  CLOSE_REASON_ERROR,
  CLOSE_REASON_IDLE_TIMEOUT,
  CLOSE_REASON_SERVER_CLOSED,
  errorType,
  type CloseCause,
  type ConnectionState,
} from '@connmetrics/core';
import { performance } from 'node:perf_hooks';

/** HTTP/2 error codes (RFC 9113 §7) as `error.type`. */
const HTTP2_ERROR_NAMES = [
  'NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR',
  'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED',
];

/** What was seen of a session before its close. */
export interface SessionEnd {
  /** The error code of a GOAWAY received from the server. */
  goawayCode?: number;
  /** grpc-js's idle timeout for the channel, when the connector patch saw it. */
  idleTimeoutMs?: number;
  /** The session's socket, kept from when it was first seen: a destroyed session no longer holds it. */
  socket?: { errored?: unknown; readableEnded?: boolean };
}

/** grpc-js's idle timer fires after the timeout exactly; a little slack for timer drift. */
const IDLE_SLACK = 0.95;

export function sessionCloseCause(session: Http2Session, end: SessionEnd | undefined, state: ConnectionState | undefined): CloseCause {
  const socket = end?.socket;
  const code = end?.goawayCode;
  if (code !== undefined) {
    if (code === constants.NGHTTP2_NO_ERROR) return { reason: CLOSE_REASON_SERVER_CLOSED };
    return { reason: CLOSE_REASON_ERROR, errorType: HTTP2_ERROR_NAMES[code] ?? '_OTHER' };
  }
  if (socket?.errored) return { reason: CLOSE_REASON_ERROR, errorType: errorType(socket.errored) };
  if (!session.closed && socket?.readableEnded === true) return { reason: CLOSE_REASON_SERVER_CLOSED };
  const idleTimeout = end?.idleTimeoutMs;
  if (idleTimeout !== undefined && state && state.inFlight === 0 && performance.now() - state.idleSince >= idleTimeout * IDLE_SLACK) {
    return { reason: CLOSE_REASON_IDLE_TIMEOUT };
  }
  return { reason: CLOSE_REASON_CLIENT_CLOSED };
}
