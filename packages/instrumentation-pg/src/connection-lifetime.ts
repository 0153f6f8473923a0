/*
 * A ready connection, followed until its socket closes, to say why it closed
 * and whether a query broke with it. Listens on the Connection (which always
 * carries the Client's own 'error' listener), ahead of the Client's
 * listeners (prepended), so that the query in flight is still known when the
 * connection breaks:
 *
 * - `error`: a socket error (ECONNRESET), or a FATAL server message that is
 *   not an orderly end, with its `error.type`;
 * - `server_closed`: the server ended the session (pg_terminate_backend's
 *   57P01, a shutdown, idle_session_timeout), or closed the socket unasked;
 * - `client_closed`: `client.end()`, also pg-pool's (pool.end(), release(true),
 *   release(error), maxUses, maxLifetimeSeconds);
 * - `idle_timeout`: pg-pool's `idleTimeoutMillis` (the pool ended a client that
 *   had been idle at least that long).
 */
import { performance } from 'node:perf_hooks';
import type { DiagLogger } from '@opentelemetry/api';
import {
  CLOSE_REASON_CLIENT_CLOSED,
  CLOSE_REASON_ERROR,
  CLOSE_REASON_IDLE_TIMEOUT,
  CLOSE_REASON_SERVER_CLOSED,
  guard,
  type CloseCause,
  type ConnectionState,
} from '@connmetrics/core';
import { ERROR_TYPE_CONNECTION_TERMINATED, isFatalServerError, isServerClose, pgErrorType } from './error-type';
import type { PgClient, PgConnection } from './internal-types';

/** What the lifetime reports. */
export interface LifetimeObserver {
  /** The connection broke while a query was in flight on it (`errorType` says how). */
  broke(client: PgClient, errorType: string): void;
  closed(client: PgClient, cause: CloseCause): void;
  /** pg-pool's `idleTimeoutMillis` of the client's pool, 0 when none. */
  idleTimeoutMillis(client: PgClient): number;
  state(client: PgClient): ConnectionState | undefined;
}

/** pg-pool's idle timer fires after the timeout; a little slack for timer drift. */
const IDLE_SLACK = 0.95;

/** The query a client is running: pg 8.12+ keeps it in `_activeQuery` (its `activeQuery` getter warns). */
function queryInFlight(client: PgClient): boolean {
  return Boolean('_activeQuery' in client ? client._activeQuery : client.activeQuery);
}

export class ConnectionLifetime {
  private ending: CloseCause | undefined;
  private listening = false;
  private readonly listeners: ReadonlyArray<readonly [string, (...args: any[]) => void]>;

  constructor(
    private readonly client: PgClient,
    private readonly connection: PgConnection,
    private readonly observer: LifetimeObserver,
    diag: DiagLogger,
  ) {
    this.listeners = [
      ['error', guard(diag, 'pg error', (error: unknown) => this.broke({ reason: CLOSE_REASON_ERROR, errorType: pgErrorType(error) }))],
      [
        'errorMessage',
        guard(diag, 'pg errorMessage', (message: unknown) => {
          if (isServerClose(message)) this.broke({ reason: CLOSE_REASON_SERVER_CLOSED, errorType: pgErrorType(message) });
          else if (isFatalServerError(message)) this.broke({ reason: CLOSE_REASON_ERROR, errorType: pgErrorType(message) });
        }),
      ],
      ['end', guard(diag, 'pg end', () => this.onEnd())],
    ];
  }

  start(): void {
    if (this.listening) return;
    this.listening = true;
    for (const [event, listener] of this.listeners) this.connection.prependListener(event, listener);
  }

  stop(): void {
    if (!this.listening) return;
    this.listening = false;
    for (const [event, listener] of this.listeners) this.connection.removeListener(event, listener);
  }

  /** The first fatal event: the cause of the close, and a reuse failure when a query was running. */
  private broke(cause: CloseCause): void {
    if (this.ending) return;
    this.ending = cause;
    if (queryInFlight(this.client)) this.observer.broke(this.client, cause.errorType ?? ERROR_TYPE_CONNECTION_TERMINATED);
  }

  private onEnd(): void {
    this.stop();
    if (!this.ending && !this.client._ending) {
      // Closed by the server (or the network) without a message.
      this.broke({ reason: CLOSE_REASON_SERVER_CLOSED, errorType: ERROR_TYPE_CONNECTION_TERMINATED });
    }
    this.observer.closed(this.client, this.closeCause());
  }

  private closeCause(): CloseCause {
    const ending = this.ending;
    if (ending) return ending.reason === CLOSE_REASON_ERROR ? ending : { reason: ending.reason };
    const idleTimeout = this.observer.idleTimeoutMillis(this.client);
    const state = this.observer.state(this.client);
    if (idleTimeout > 0 && state && state.inFlight === 0 && performance.now() - state.idleSince >= idleTimeout * IDLE_SLACK) {
      return { reason: CLOSE_REASON_IDLE_TIMEOUT };
    }
    return { reason: CLOSE_REASON_CLIENT_CLOSED };
  }
}
