/*
 * Why a node:http connection closed, `error.type` only when an error ended it:
 *
 * | what happened | reason |
 * |---|---|
 * | the socket errored, or closed while a request's response was unfinished (`ECONNRESET`: 'socket hang up', 'aborted') | `error` with `error.type` (the code of the error the application saw) |
 * | its idle timeout fired while it sat free in the agent (`new Agent({ timeout })`, or the server's `Keep-Alive: timeout` hint that Node follows) | `idle_timeout` |
 * | the client's last request said `Connection: close` (`keepAlive: false`, `agent: false`, the header set by the application) | `client_closed` |
 * | its agent destroyed it as it was freed (`maxFreeSockets`, `keepAlive: false` with `maxSockets`, a Keep-Alive hint too short to reuse) | `client_closed` |
 * | the server's response said `Connection: close` (or was HTTP/1.0) | `server_closed` |
 * | it sat idle in its agent and closed without an error: the server's FIN (or data), which Node's agent answers by destroying the idle socket | `server_closed` |
 *
 * The last row has one blind spot: Node's agent destroys an idle socket on
 * any read (FIN included) without saying why, so `agent.destroy()` or
 * `socket.destroy()` on an idle connection looks the same and is recorded as
 * `server_closed` too. A connection that was serving a request when it
 * closed without an error is `client_closed`.
 */
import {
  CLOSE_REASON_CLIENT_CLOSED,
  CLOSE_REASON_ERROR,
  CLOSE_REASON_IDLE_TIMEOUT,
  CLOSE_REASON_SERVER_CLOSED,
  type CloseCause,
} from '@connmetrics/core';
import type { ConnectionRecord } from './connection-record';
import type { SocketLike } from './http-shapes';

const CLIENT_CLOSED: CloseCause = Object.freeze({ reason: CLOSE_REASON_CLIENT_CLOSED });
const SERVER_CLOSED: CloseCause = Object.freeze({ reason: CLOSE_REASON_SERVER_CLOSED });
const IDLE_TIMEOUT: CloseCause = Object.freeze({ reason: CLOSE_REASON_IDLE_TIMEOUT });

/**
 * @param idle whether it sat free in its agent (no request in flight)
 * @param errorType the `error.type` of what ended it, if an error did
 */
export function closeCauseOf(socket: SocketLike, record: ConnectionRecord | undefined, idle: boolean, errorType: string | undefined): CloseCause {
  if (errorType !== undefined) return { reason: CLOSE_REASON_ERROR, errorType };
  if (!record) return CLIENT_CLOSED;
  if (record.timedOut) return IDLE_TIMEOUT;
  if (!record.clientKeepAlive || record.dropped) return CLIENT_CLOSED;
  // The request still on the socket is the last one (Node frees a socket only for keep-alive): false once the response said close.
  if (socket._httpMessage?.shouldKeepAlive === false || idle || socket.readableEnded === true) return SERVER_CLOSED;
  return CLIENT_CLOSED;
}
