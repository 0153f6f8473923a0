/*
 * A ready connection, followed until its socket closes, to say why it closed:
 * the first fatal error seen on it (a socket error such as ECONNRESET, or a
 * FATAL server message such as pg_terminate_backend's 57P01), or nothing for
 * an orderly close. Listens on the Connection, which always carries the
 * Client's own 'error' listener.
 */
import type { DiagLogger } from '@opentelemetry/api';
import { guard } from '@connmetrics/core';
import { isFatalServerError, pgErrorType } from './error-type';
import type { PgConnection } from './internal-types';

export class ConnectionLifetime {
  private closeError: string | undefined;
  private listening = false;
  private readonly listeners: ReadonlyArray<readonly [string, (...args: any[]) => void]>;

  constructor(
    private readonly connection: PgConnection,
    private readonly onClosed: (errorType: string | undefined) => void,
    diag: DiagLogger,
  ) {
    this.listeners = [
      ['error', guard(diag, 'pg error', (error: unknown) => (this.closeError ??= pgErrorType(error)))],
      [
        'errorMessage',
        guard(diag, 'pg errorMessage', (message: unknown) => {
          if (isFatalServerError(message)) this.closeError ??= pgErrorType(message);
        }),
      ],
      ['end', guard(diag, 'pg end', () => this.onEnd())],
    ];
  }

  start(): void {
    if (this.listening) return;
    this.listening = true;
    for (const [event, listener] of this.listeners) this.connection.on(event, listener);
  }

  stop(): void {
    if (!this.listening) return;
    this.listening = false;
    for (const [event, listener] of this.listeners) this.connection.removeListener(event, listener);
  }

  private onEnd(): void {
    this.stop();
    this.onClosed(this.closeError);
  }
}
