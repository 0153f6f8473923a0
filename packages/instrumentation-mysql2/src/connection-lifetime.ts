/*
 * A ready connection, followed until its socket closes, to say why it closed
 * and whether a command was running when it broke. The listeners are
 * prepended, so they see mysql2's state before mysql2 handles the event (its
 * own 'close' handler fails the running command and marks the connection as
 * closing). The socket always carries mysql2's own 'error' listener, so ours
 * adds no error handling the application did not have.
 */
import type { DiagLogger } from '@opentelemetry/api';
import {
  CLOSE_REASON_CLIENT_CLOSED,
  CLOSE_REASON_ERROR,
  CLOSE_REASON_IDLE_TIMEOUT,
  CLOSE_REASON_SERVER_CLOSED,
  guard,
  type CloseCause,
} from '@connmetrics/core';
import { ERROR_TYPE_CONNECTION_LOST, mysql2ErrorType } from './error-type';
import type { MySQL2Connection } from './mysql2-shapes';

/** How a connection ended. */
export interface ConnectionEnd {
  readonly cause: CloseCause;
  /** `error.type` of what the command running at the break saw; undefined when none was running or the client closed it. */
  readonly brokenUse?: string;
  /** A query or other use was running when it closed: the connection was not idle. */
  readonly busy: boolean;
}

/** Commands that are no use of the connection: setting it up, and ending it. */
const NOT_A_USE = new Set(['ClientHandshake', 'Quit']);

function commandRunning(connection: MySQL2Connection): boolean {
  const command = connection._command;
  return command != null && !NOT_A_USE.has(command.constructor?.name ?? '');
}

export class ConnectionLifetime {
  private socketError: string | undefined;
  private runningAtBreak = false;
  private listening = false;
  private readonly onError: (error: unknown) => void;
  private readonly onClose: () => void;

  /**
   * @param idleInOpenPool whether the connection sat idle in a pool that is
   *   still open: mysql2 then closes it only for its idle timeout (`idleTimeout`, `maxIdle`)
   */
  constructor(
    private readonly connection: MySQL2Connection,
    private readonly socket: NonNullable<MySQL2Connection['stream']>,
    private readonly idleInOpenPool: () => boolean,
    private readonly onClosed: (end: ConnectionEnd) => void,
    diag: DiagLogger,
  ) {
    this.onError = guard(diag, 'mysql2 socket error', (error: unknown) => this.error(error));
    this.onClose = guard(diag, 'mysql2 socket close', () => this.close());
  }

  start(): void {
    if (this.listening) return;
    this.listening = true;
    this.socket.prependListener('error', this.onError);
    this.socket.prependListener('close', this.onClose);
  }

  stop(): void {
    if (!this.listening) return;
    this.listening = false;
    this.socket.removeListener('error', this.onError);
    this.socket.removeListener('close', this.onClose);
  }

  private error(error: unknown): void {
    if (this.socketError !== undefined) return;
    const type = mysql2ErrorType(error);
    // mysql2 ignores a reset of a connection it is closing itself.
    if (this.connection._closing && type === 'ECONNRESET') return;
    this.socketError = type;
    this.runningAtBreak = commandRunning(this.connection);
  }

  private close(): void {
    this.stop();
    this.onClosed(this.end());
  }

  private end(): ConnectionEnd {
    const connection = this.connection;
    const fatal = connection._fatalError;
    const errorType = this.socketError ?? (fatal ? mysql2ErrorType(fatal) : undefined);
    const busy = this.runningAtBreak || commandRunning(connection);
    if (errorType !== undefined) {
      return { cause: { reason: CLOSE_REASON_ERROR, errorType }, busy, ...(busy ? { brokenUse: errorType } : {}) };
    }
    if (connection._closing) {
      return { cause: { reason: this.idleInOpenPool() ? CLOSE_REASON_IDLE_TIMEOUT : CLOSE_REASON_CLIENT_CLOSED }, busy };
    }
    // The server ended it in order (KILL, wait_timeout, shutdown): mysql2 fails a running command with this.
    return { cause: { reason: CLOSE_REASON_SERVER_CLOSED }, busy, ...(busy ? { brokenUse: ERROR_TYPE_CONNECTION_LOST } : {}) };
  }
}
