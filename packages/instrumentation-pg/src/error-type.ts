/*
 * `error.type` for node-postgres failures. Errors from the server carry their
 * SQLSTATE (`28P01`, `3D000`, `57P01`) and socket errors their code
 * (`ECONNREFUSED`, `ENOTFOUND`); both pass through core's errorType(). A few
 * errors pg raises itself have no code: they are named here from their fixed
 * message, which never becomes an attribute itself.
 */
import { errorType } from '@connmetrics/core';

export const ERROR_TYPE_TIMEOUT = 'timeout';
export const ERROR_TYPE_CONNECTION_TERMINATED = 'connection_terminated';

const MESSAGE_TYPES: ReadonlyMap<string, string> = new Map([
  // Client `connectionTimeoutMillis` elapsed before the connection was ready.
  ['timeout expired', ERROR_TYPE_TIMEOUT],
  // The server (or something between) closed the socket without an error message.
  ['Connection terminated unexpectedly', ERROR_TYPE_CONNECTION_TERMINATED],
  // `ssl` is set but the server answered the SSLRequest with 'N'.
  ['The server does not support SSL connections', 'ssl_not_supported'],
]);

/** pg-pool's errors for a checkout that waited longer than `connectionTimeoutMillis`. */
const POOL_TIMEOUT_MESSAGES: ReadonlySet<string> = new Set([
  // Waited in the queue for a connection to be released.
  'timeout exceeded when trying to connect',
  // Waited for a new connection that was not ready in time.
  'Connection terminated due to connection timeout',
]);

function messageOf(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { message } = error as { message?: unknown };
  return typeof message === 'string' ? message : undefined;
}

export function pgErrorType(error: unknown): string {
  const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  if (code === undefined) {
    const known = MESSAGE_TYPES.get(messageOf(error) ?? '');
    if (known) return known;
  }
  return errorType(error);
}

export function isPoolTimeout(error: unknown): boolean {
  return POOL_TIMEOUT_MESSAGES.has(messageOf(error) ?? '');
}

/**
 * Whether a server error message ends the session: FATAL and PANIC errors
 * (the server closes the connection after them), and operator intervention
 * (class 57P, e.g. pg_terminate_backend's 57P01) in case severities are localised.
 */
export function isFatalServerError(message: unknown): boolean {
  if (message === null || typeof message !== 'object') return false;
  const { severity, code } = message as { severity?: unknown; code?: unknown };
  return severity === 'FATAL' || severity === 'PANIC' || (typeof code === 'string' && code.startsWith('57P'));
}

/**
 * Server messages by which the server ends a session in order rather than
 * failing: operator intervention (57P01 pg_terminate_backend or a fast
 * shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 57P04 database
 * dropped, 57P05 idle_session_timeout) and 25P03
 * idle_in_transaction_session_timeout.
 */
export function isServerClose(message: unknown): boolean {
  const code = message !== null && typeof message === 'object' ? (message as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code.startsWith('57P0') || code === '25P03');
}
