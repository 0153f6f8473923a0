/*
 * Why a ready connection closed, from its socket and its client, read in
 * listeners that run before ioredis's own (prepended), while the client still
 * says whether the application is closing it and which commands were unanswered:
 *
 * - `error`: the socket was destroyed with an error (ECONNRESET, a socket
 *   timeout), with its `error.type`;
 * - `client_closed`: `quit()`, `disconnect()` (also by a Cluster dropping a
 *   node), or any other close that began on our side;
 * - `server_closed`: the server ended the connection first (CLIENT KILL, its
 *   `timeout`, a restart): its FIN arrived before we ended ours.
 *
 * ioredis has no client-side idle timeout, so `idle_timeout` never applies.
 */
import type { DiagLogger } from '@opentelemetry/api';
import {
  CLOSE_REASON_CLIENT_CLOSED,
  CLOSE_REASON_ERROR,
  CLOSE_REASON_SERVER_CLOSED,
  errorType,
  reportFailure,
  type CloseCause,
} from '@connmetrics/core';
import type { RedisClient, RedisSocket } from './redis-shapes';

/** `error.type` of uses lost when the server closed the connection without an error. */
export const ERROR_TYPE_CONNECTION_CLOSED = 'connection_closed';

interface Watched {
  readonly client: RedisClient;
  readonly onEnd: () => void;
  readonly onClose: () => void;
  /** The server's FIN came before we ended our side. */
  endedByServer: boolean;
}

export class SocketCloseWatch {
  private readonly watched = new Map<RedisSocket, Watched>();

  constructor(
    private readonly onClose: (socket: RedisSocket, cause: CloseCause) => void,
    private readonly diag: DiagLogger,
  ) {}

  watch(socket: RedisSocket, client: RedisClient): void {
    if (this.watched.has(socket) || typeof socket.prependOnceListener !== 'function') return;
    if (socket.closed === true) {
      this.onClose(socket, causeOf(socket, client, false));
      return;
    }
    const entry: Watched = {
      client,
      endedByServer: false,
      onEnd: () => {
        entry.endedByServer = socket.writableEnded !== true;
      },
      onClose: () => {
        this.forget(socket, entry);
        try {
          this.onClose(socket, causeOf(socket, client, entry.endedByServer));
        } catch (error) {
          reportFailure(this.diag, 'ioredis socket close', error);
        }
      },
    };
    this.watched.set(socket, entry);
    socket.prependOnceListener('end', entry.onEnd);
    socket.prependOnceListener('close', entry.onClose);
  }

  stopAll(): void {
    for (const [socket, entry] of [...this.watched]) this.forget(socket, entry);
  }

  private forget(socket: RedisSocket, entry: Watched): void {
    this.watched.delete(socket);
    socket.removeListener('end', entry.onEnd);
    socket.removeListener('close', entry.onClose);
  }
}

function causeOf(socket: RedisSocket, client: RedisClient, endedByServer: boolean): CloseCause {
  if (socket.errored) return { reason: CLOSE_REASON_ERROR, errorType: errorType(socket.errored) };
  if (client.manuallyClosing === true || !endedByServer) return { reason: CLOSE_REASON_CLIENT_CLOSED };
  return { reason: CLOSE_REASON_SERVER_CLOSED };
}
