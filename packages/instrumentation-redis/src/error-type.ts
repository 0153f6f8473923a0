import { errorType, redisReplyPrefix } from '@connmetrics/core';

/** node-redis's error reply classes (their `name` stays `Error`). */
const REPLY_ERRORS: ReadonlySet<string> = new Set(['ErrorReply', 'SimpleError', 'BlobError', 'MultiErrorReply']);

/** node-redis's own errors, recorded by class name. */
const CLIENT_ERRORS: ReadonlySet<string> = new Set([
  'ConnectionTimeoutError',
  'SocketTimeoutError',
  'SocketClosedUnexpectedlyError',
  'ClientClosedError',
  'ClientOfflineError',
  'DisconnectsClientError',
  'ReconnectStrategyError',
  'SocketTimeoutDuringMaintenanceError',
  'RootNodesUnavailableError',
]);

/**
 * `error.type` for node-redis errors: a reply error gives its prefix
 * (`WRONGPASS`, `NOAUTH`), a socket error its code (`ECONNREFUSED`,
 * `ENOTFOUND`, a TLS verification code), a node-redis error its class name
 * (`SocketClosedUnexpectedlyError`); never a message.
 */
export function redisErrorType(error: unknown): string {
  const prefix = redisReplyPrefix(error, REPLY_ERRORS);
  if (prefix) return prefix;
  if (error !== null && typeof error === 'object') {
    const { code, constructor } = error as { code?: unknown; constructor?: { name?: unknown } };
    if (code === undefined && typeof constructor?.name === 'string' && CLIENT_ERRORS.has(constructor.name)) return constructor.name;
  }
  return errorType(error);
}

/** The server ended the connection in order (a FIN: CLIENT KILL, a restart, `timeout` on the server). */
export function isOrderlyServerClose(error: unknown): boolean {
  return error !== null && typeof error === 'object' && (error as { constructor?: { name?: unknown } }).constructor?.name === 'SocketClosedUnexpectedlyError';
}

/** The client's own inactivity timeout (`socket.socketTimeout`) ended it. */
export function isClientTimeout(error: unknown): boolean {
  const name = error !== null && typeof error === 'object' ? (error as { constructor?: { name?: unknown } }).constructor?.name : undefined;
  return name === 'SocketTimeoutError';
}

/** A reply of the server (the command failed, the connection is fine), as opposed to a broken connection. */
export function isReplyError(error: unknown): boolean {
  return redisReplyPrefix(error, REPLY_ERRORS) !== undefined;
}
