/*
 * `error.type` for mysql2 failures. Server errors carry their symbolic code
 * (`ER_ACCESS_DENIED_ERROR`, `ER_BAD_DB_ERROR`), socket errors theirs
 * (`ECONNREFUSED`, `ENOTFOUND`), and mysql2's own errors mostly one too
 * (`ETIMEDOUT` for `connectTimeout`, `PROTOCOL_CONNECTION_LOST`); all pass
 * through core's errorType(). The pool's own errors have no code: they are
 * named here from their fixed message, which never becomes an attribute itself.
 */
import { errorType } from '@connmetrics/core';

export const ERROR_TYPE_CONNECTION_LOST = 'PROTOCOL_CONNECTION_LOST';

const MESSAGE_TYPES: ReadonlyMap<string, string> = new Map([
  ['Pool is closed.', 'pool_closed'],
  ['Queue limit reached.', 'queue_limit_reached'],
  ['No connections available.', 'no_connections_available'],
]);

export function mysql2ErrorType(error: unknown): string {
  if (error !== null && typeof error === 'object' && (error as { code?: unknown }).code === undefined) {
    const { message } = error as { message?: unknown };
    const known = typeof message === 'string' ? MESSAGE_TYPES.get(message) : undefined;
    if (known) return known;
  }
  return errorType(error);
}

/**
 * Whether a checkout failed because the new connection it waited for did not
 * connect within `connectTimeout` (mysql2 pools have no acquire timeout: a
 * checkout waits for a released connection as long as it takes).
 */
export function isCheckoutTimeout(error: unknown): boolean {
  return error !== null && typeof error === 'object' && (error as { code?: unknown }).code === 'ETIMEDOUT';
}
