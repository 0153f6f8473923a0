/*
 * Why an undici connection closed. undici destroys every socket it closes
 * with an error object, orderly closes included; this turns that object into
 * a close reason, so that `error.type` is recorded only when an error ended
 * the connection:
 *
 * | socket destroyed with                        | reason          |
 * |---|---|
 * | `UND_ERR_INFO` 'socket idle timeout'          | `idle_timeout` (the Client's keepAliveTimeout) |
 * | `UND_ERR_DESTROYED`, `UND_ERR_INFO` 'aborted' | `client_closed` (close(), destroy(), an aborted request) |
 * | `UND_ERR_INFO` 'reset' after a request that asked for it (`Connection: close`, `reset`, HEAD) or after `maxRequestsPerClient` | `client_closed` |
 * | `UND_ERR_INFO` 'reset' otherwise              | `server_closed` (the response said `Connection: close`, HTTP/1.0, or a Keep-Alive hint too short to reuse) |
 * | `UND_ERR_SOCKET` 'other side closed' while no request was being served, HTTP/2 GOAWAY | `server_closed` |
 * | anything else (a reset, a timeout, a FIN during a request) | `error` with `error.type` |
 */
import {
  CLOSE_REASON_CLIENT_CLOSED,
  CLOSE_REASON_ERROR,
  CLOSE_REASON_IDLE_TIMEOUT,
  CLOSE_REASON_SERVER_CLOSED,
  errorType,
  type CloseCause,
} from '@connmetrics/core';
import { symbolField, type UndiciSocket } from './undici-shapes';

const CLIENT_CLOSED: CloseCause = Object.freeze({ reason: CLOSE_REASON_CLIENT_CLOSED });
const SERVER_CLOSED: CloseCause = Object.freeze({ reason: CLOSE_REASON_SERVER_CLOSED });
const IDLE_TIMEOUT: CloseCause = Object.freeze({ reason: CLOSE_REASON_IDLE_TIMEOUT });

/**
 * @param interrupted whether a request was still being served, or failed because the connection broke
 * @param askedReset whether the request it served last asked undici to close it after (`Connection: close`, `reset`, HEAD)
 * @param uses the requests it served
 */
export function closeCauseOf(socket: UndiciSocket, interrupted: boolean, askedReset: boolean, uses: number): CloseCause {
  const error = socket.errored as { code?: unknown; message?: unknown } | null | undefined;
  if (!error) return CLIENT_CLOSED; // undici passes an error on every path; a bare destroy() is the application's
  const message = typeof error.message === 'string' ? error.message : '';
  switch (error.code) {
    case 'UND_ERR_DESTROYED':
      return CLIENT_CLOSED;
    case 'UND_ERR_INFO':
      if (message === 'socket idle timeout') return IDLE_TIMEOUT;
      if (message === 'reset') return resetBy(socket, askedReset, uses);
      return CLIENT_CLOSED; // 'aborted', 'servername changed': the application's doing
    case 'UND_ERR_SOCKET':
      if (message.startsWith('HTTP/2: "GOAWAY"')) return SERVER_CLOSED;
      if (message === 'other side closed' && !interrupted) return SERVER_CLOSED;
      break;
  }
  return { reason: CLOSE_REASON_ERROR, errorType: errorType(error) };
}

/** undici closes a connection after a response ('reset') because the client or the server asked for it. */
function resetBy(socket: UndiciSocket, askedReset: boolean, uses: number): CloseCause {
  if (askedReset) return CLIENT_CLOSED;
  const maxRequests = symbolField(socket, 'maxRequestsPerClient');
  if (typeof maxRequests === 'number' && maxRequests > 0 && uses >= maxRequests) return CLIENT_CLOSED;
  return SERVER_CLOSED;
}
