/*
 * Waiting for connections to end, instead of sleeping: every client socket
 * the process starts while watched (Node's `net.client.socket` channel:
 * net.connect, new net.Socket().connect, tls.connect) and every HTTP/2
 * client session a stream is opened on (`http2.client.stream.created`), each
 * until it emitted 'close'. The instrumentations record a connection's end,
 * and a failed attempt's connect time, from that event on the same object,
 * so once `closed()` resolves their listeners have run, however slow the
 * machine.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { WAIT_TIMEOUT_MS } from './wait';

const NET_CLIENT_SOCKET = 'net.client.socket';
const HTTP2_STREAM_CREATED = 'http2.client.stream.created';

/** A socket or session: what emits the 'close' waited for. */
export interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

export interface ConnectionWatch {
  /** Also waits for this one's 'close' (a TLS socket started on a connected socket, which no channel announces). */
  add(closable: Closable): void;
  /** Watched sockets and sessions that have not closed yet. */
  readonly open: number;
  /** Closed client sockets whose connection attempt to `port` the OS refused (ECONNREFUSED). */
  refused(port: number): number;
  /**
   * Stops watching new ones and resolves once every watched socket and
   * session has emitted 'close' (and what their 'close' listeners scheduled
   * with nextTick or setImmediate ran); rejects after `timeoutMs`.
   */
  closed(timeoutMs?: number): Promise<void>;
  /** Stops watching new ones (unsubscribes from the channels). */
  stop(): void;
}

interface SocketLike extends Closable {
  readonly errored?: { code?: unknown; port?: unknown } | null;
  readonly _readableState?: { closeEmitted?: boolean };
}

export function watchConnections(): ConnectionWatch {
  const open = new Set<Closable>();
  const seen = new WeakSet<object>();
  const refusedPorts = new Map<number, number>();
  const waiters = new Set<() => void>();

  const add = (closable: Closable) => {
    if (seen.has(closable)) return;
    seen.add(closable);
    // A socket that already emitted 'close' never emits it again.
    if ((closable as SocketLike)._readableState?.closeEmitted) return;
    open.add(closable);
    closable.once('close', () => {
      open.delete(closable);
      const error = (closable as SocketLike).errored;
      if (error?.code === 'ECONNREFUSED' && typeof error.port === 'number') refusedPorts.set(error.port, (refusedPorts.get(error.port) ?? 0) + 1);
      if (open.size === 0) for (const settle of [...waiters]) settle();
    });
  };
  const onSocket = (message: unknown) => {
    const socket = (message as { socket?: Closable } | undefined)?.socket;
    if (socket) add(socket);
  };
  const onStream = (message: unknown) => {
    const session = (message as { stream?: { session?: Closable } } | undefined)?.stream?.session;
    if (session) add(session);
  };
  diagnosticsChannel.subscribe(NET_CLIENT_SOCKET, onSocket);
  diagnosticsChannel.subscribe(HTTP2_STREAM_CREATED, onStream);
  let watching = true;
  const stop = () => {
    if (!watching) return;
    watching = false;
    diagnosticsChannel.unsubscribe(NET_CLIENT_SOCKET, onSocket);
    diagnosticsChannel.unsubscribe(HTTP2_STREAM_CREATED, onStream);
  };

  return {
    add,
    get open() {
      return open.size;
    },
    refused: (port) => refusedPorts.get(port) ?? 0,
    stop,
    async closed(timeoutMs = WAIT_TIMEOUT_MS) {
      stop();
      if (open.size > 0) {
        await new Promise<void>((resolve, reject) => {
          const settle = () => {
            clearTimeout(timer);
            waiters.delete(settle);
            resolve();
          };
          const timer = setTimeout(() => {
            waiters.delete(settle);
            reject(new Error(`timed out waiting for ${open.size} connection(s) to close`));
          }, timeoutMs);
          waiters.add(settle);
        });
      }
      // Libraries re-emit a socket's close on their own objects with nextTick or setImmediate (ioredis, pg-pool).
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
