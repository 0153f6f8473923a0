/*
 * `error.type` for postgres.js failures. Server errors carry their SQLSTATE
 * (`28P01`, `3D000`), socket errors their code (`ECONNREFUSED`, `ENOTFOUND`),
 * and postgres.js's own connection errors a code of their own
 * (`CONNECT_TIMEOUT`, `CONNECTION_CLOSED`, `CONNECTION_DESTROYED`); all pass
 * through core's errorType().
 */
import { errorType } from '@connmetrics/core';

/** postgres.js's code when `connect_timeout` elapsed before the connection was ready. */
export const ERROR_TYPE_CONNECT_TIMEOUT = 'CONNECT_TIMEOUT';
/** postgres.js's code for a query whose connection closed under it (and ours for a close with no error seen). */
export const ERROR_TYPE_CONNECTION_CLOSED = 'CONNECTION_CLOSED';

export function postgresErrorType(error: unknown): string {
  return errorType(error);
}
