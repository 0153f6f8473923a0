/*
 * The failure of one connection handshake, seen on the connection's own
 * objects, for the connections the module patch names. mysql2's
 * `mysql2:connect` channel misses failures: it settles on the connection's
 * 'error' event, which mysql2 does not emit when queries are already queued
 * on a connection no pool owns (they get the error instead). So the attempt
 * is followed on the handshake command (server errors: bad password, unknown
 * database, TLS) and on its socket (refused, unknown host, connectTimeout,
 * closed by the peer). Both already carry mysql2's own 'error' listeners, so
 * ours add no error handling the application did not have.
 */
import type { EventEmitter } from 'node:events';
import type { DiagLogger } from '@opentelemetry/api';
import { guard } from '@connmetrics/core';
import { ERROR_TYPE_CONNECTION_LOST, mysql2ErrorType } from './error-type';
import type { MySQL2Connection } from './mysql2-shapes';

export class ConnectAttemptWatch {
  private settled = false;
  private readonly socket: EventEmitter | undefined;
  private readonly listeners: ReadonlyArray<readonly [EventEmitter | undefined, string, (...args: any[]) => void]>;

  /** @param failed called at most once, with `error.type`, when the attempt fails */
  constructor(
    private readonly connection: MySQL2Connection,
    command: EventEmitter | undefined,
    private readonly failed: (errorType: string) => void,
    diag: DiagLogger,
  ) {
    this.socket = connection.stream;
    this.listeners = [
      [command, 'error', guard(diag, 'mysql2 handshake error', (error: unknown) => this.fail(mysql2ErrorType(error)))],
      [this.socket, 'error', guard(diag, 'mysql2 connect error', (error: unknown) => this.fail(mysql2ErrorType(error)))],
      [this.socket, 'close', guard(diag, 'mysql2 connect close', () => this.onClose())],
    ];
  }

  start(): void {
    for (const [emitter, event, listener] of this.listeners) emitter?.on(event, listener);
  }

  /** The attempt succeeded (or is no longer followed): stop listening. */
  stop(): void {
    this.settled = true;
    for (const [emitter, event, listener] of this.listeners) emitter?.removeListener(event, listener);
  }

  private fail(errorType: string): void {
    if (this.settled) return;
    this.stop();
    this.failed(errorType);
  }

  /** The socket closed before the handshake was done, and before any error was seen. */
  private onClose(): void {
    // mysql2's own 'close' listener ran first: it set `_protocolError` when the peer closed first.
    const { _fatalError: fatal, _protocolError: lost, _closing: closing } = this.connection;
    if (fatal) return this.fail(mysql2ErrorType(fatal));
    if (lost) return this.fail(mysql2ErrorType(lost));
    // The application closed it before it was ready: neither ready nor failed.
    if (closing) return this.stop();
    this.fail(ERROR_TYPE_CONNECTION_LOST);
  }
}
