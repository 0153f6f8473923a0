/*
 * Why a node:http connection closed, `error.type` only when an error ended it:
 *
 * | what happened | reason |
 * |---|---|
 * | the socket errored, or closed while a request's response was unfinished (`ECONNRESET`: 'socket hang up', 'aborted') | `error` with `error.type` (the code of the error the application saw) |
 * | its idle timeout fired while it sat free in the agent (`new Agent({ timeout })`, or the server's `Keep-Alive: timeout` hint that Node follows) | `idle_timeout` |
 * | the client's last request said `Connection: close` (`keepAlive: false`, `agent: false`, the header set by the application) | `client_closed` |
 * | the server's response said `Connection: close` (or was HTTP/1.0), or the server ended the socket (FIN) | `server_closed` |
 * | anything else: `agent.destroy()`, `socket.destroy()`, an agent at `maxFreeSockets` or without keep-alive dropping a freed socket | `client_closed` |
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

/** @param errorType the `error.type` of what ended it, if an error did */
export function closeCauseOf(socket: SocketLike, record: ConnectionRecord | undefined, errorType: string | undefined): CloseCause {
  if (errorType !== undefined) return { reason: CLOSE_REASON_ERROR, errorType };
  if (!record) return socket.readableEnded === true ? SERVER_CLOSED : CLIENT_CLOSED;
  if (record.timedOut) return IDLE_TIMEOUT;
  if (!record.clientKeepAlive) return CLIENT_CLOSED;
  if (record.last?.shouldKeepAlive === false || socket.readableEnded === true) return SERVER_CLOSED;
  return CLIENT_CLOSED;
}
