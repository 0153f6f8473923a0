/*
 * One connection attempt of a pg Client, followed through the events of its
 * Connection (`client.connection`): from connect() until the server's first
 * ReadyForQuery, when TCP, TLS, startup and authentication are done (ready),
 * or until the first error or close before it (failed).
 *
 * The Connection always carries the Client's own 'error' listener, so ours
 * adds no error handling the application did not have. Our listeners are
 * added before the Client's, so `ready` runs before pg calls back (and before
 * pg-pool hands the connection out).
 */
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { DiagLogger } from '@opentelemetry/api';
import { guard } from '@connmetrics/core';
import { ERROR_TYPE_CONNECTION_TERMINATED, ERROR_TYPE_TIMEOUT, pgErrorType } from './error-type';
import type { PgClient, PgConnection } from './internal-types';

export interface AttemptObserver {
  /** TLS started on the connected socket (after the server accepted the SSLRequest). */
  tlsStarted(attempt: ConnectAttempt, socket: TLSSocket): void;
  ready(attempt: ConnectAttempt): void;
  failed(attempt: ConnectAttempt, errorType: string): void;
  /** The application ended the client before it was ready: neither ready nor failed. */
  abandoned(attempt: ConnectAttempt): void;
}

export class ConnectAttempt {
  readonly startedAt = performance.now();
  /** Queries issued before the connection was ready; counted as uses once it is. */
  pendingUses = 0;
  private listening = false;
  private readonly listeners: ReadonlyArray<readonly [string, (...args: any[]) => void]>;

  /**
   * @param poolTimeoutMillis the owning pool's `connectionTimeoutMillis`, when
   *   it has one: pg-pool enforces it by destroying the socket without an error.
   */
  constructor(
    readonly client: PgClient,
    private readonly connection: PgConnection,
    private readonly poolTimeoutMillis: number,
    private readonly observer: AttemptObserver,
    diag: DiagLogger,
  ) {
    this.listeners = [
      ['sslconnect', guard(diag, 'pg sslconnect', () => this.onSslConnect())],
      ['readyForQuery', guard(diag, 'pg readyForQuery', () => this.settle(() => this.observer.ready(this)))],
      ['error', guard(diag, 'pg connect error', (error: unknown) => this.onError(error))],
      ['errorMessage', guard(diag, 'pg connect errorMessage', (error: unknown) => this.onError(error))],
      ['end', guard(diag, 'pg connect end', () => this.onEnd())],
    ];
  }

  start(): void {
    if (this.listening) return;
    this.listening = true;
    for (const [event, listener] of this.listeners) this.connection.on(event, listener);
  }

  /** Stops listening; the attempt reports nothing more. */
  stop(): void {
    if (!this.listening) return;
    this.listening = false;
    for (const [event, listener] of this.listeners) this.connection.removeListener(event, listener);
  }

  private settle(report: () => void): void {
    if (!this.listening) return;
    this.stop();
    report();
  }

  private onSslConnect(): void {
    // pg replaced its socket with the TLSSocket synchronously before this event.
    const socket = this.connection.stream as TLSSocket | undefined;
    if (socket) this.observer.tlsStarted(this, socket);
  }

  private onError(error: unknown): void {
    this.settle(() => this.observer.failed(this, pgErrorType(error)));
  }

  /** The socket closed before ReadyForQuery and before any error. */
  private onEnd(): void {
    // `_ending`: the application called client.end() itself.
    if (this.client._ending) return this.settle(() => this.observer.abandoned(this));
    this.settle(() => this.observer.failed(this, this.closeReason()));
  }

  /**
   * Nothing in pg closes a connecting socket without an error except pg-pool's
   * `connectionTimeoutMillis`; a socket the server closed has seen its end.
   */
  private closeReason(): string {
    const endedByPeer = this.connection.stream?.readableEnded === true;
    return this.poolTimeoutMillis > 0 && !endedByPeer ? ERROR_TYPE_TIMEOUT : ERROR_TYPE_CONNECTION_TERMINATED;
  }
}
