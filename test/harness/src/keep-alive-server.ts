/*
 * A minimal HTTP/1.1 server on a raw TCP server, for the keep-alive tests: it
 * answers `200 ok` without any `Keep-Alive` hint (as many servers and proxies
 * do), closes a connection itself after it sat idle for `idleTimeoutMs` (a
 * FIN, the way a server's keep-alive timeout does), and can destroy a
 * kept-alive connection when its next request arrives, without answering (the
 * keep-alive race, made to happen every time). It counts what it did, and
 * lets a test wait for its own closes instead of sleeping.
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface KeepAliveServerOptions {
  /** Close a connection after it sat idle this long after a response (ms). */
  idleTimeoutMs?: number;
  /**
   * When the idle clock starts: once a response is written (as servers do), or
   * only at `startIdleTimers()`, which a test calls once the client has read the
   * response, so that the client's own idle time is at least `idleTimeoutMs`.
   */
  idleClockStart?: 'response' | 'manual';
  /** Destroy, without answering, the connection that brings its second request, this many times in all. */
  dropSecondRequests?: number;
}

export interface KeepAliveServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly acceptedConnections: number;
  /** Requests answered. */
  readonly requests: number;
  /** Connections the server closed because they sat idle. */
  readonly idleCloses: number;
  /** Connections destroyed at a request, unanswered. */
  readonly drops: number;
  /** Connections closed, on either side. */
  readonly closedConnections: number;
  /** Starts the idle clock of every connection idle now (with `idleClockStart: 'manual'`). */
  startIdleTimers(): void;
  /** Resolves once `closedConnections` reaches `count` (the server saw the close). */
  closed(count: number): Promise<void>;
  close(): Promise<void>;
}

const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok';

export async function startKeepAliveServer(options: KeepAliveServerOptions = {}): Promise<KeepAliveServer> {
  let accepted = 0;
  let requests = 0;
  let idleCloses = 0;
  let drops = 0;
  let closedConnections = 0;
  let dropsLeft = options.dropSecondRequests ?? 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<net.Socket>();
  const idle = new Map<net.Socket, () => void>();
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    let served = 0;
    let buffered = '';
    let idleTimer: NodeJS.Timeout | undefined;
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(idleTimer);
      idle.delete(socket);
      sockets.delete(socket);
      closedConnections += 1;
      for (const waiter of waiters.splice(0)) {
        if (closedConnections >= waiter.count) waiter.resolve();
        else waiters.push(waiter);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      clearTimeout(idleTimer);
      idle.delete(socket);
      buffered += chunk.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) !== -1) {
        buffered = buffered.slice(end + 4);
        if (served === 1 && dropsLeft > 0) {
          dropsLeft -= 1;
          drops += 1;
          socket.destroy();
          return;
        }
        served += 1;
        requests += 1;
        socket.write(RESPONSE, () => {
          if (options.idleTimeoutMs === undefined || socket.destroyed) return;
          const arm = () => {
            idle.delete(socket);
            idleTimer = setTimeout(() => {
              idleCloses += 1;
              socket.end();
            }, options.idleTimeoutMs);
          };
          // The idle clock starts once the response is written, as a server's keep-alive timer does.
          if (options.idleClockStart === 'manual') idle.set(socket, arm);
          else arm();
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    get acceptedConnections() {
      return accepted;
    },
    get requests() {
      return requests;
    },
    get idleCloses() {
      return idleCloses;
    },
    get drops() {
      return drops;
    },
    get closedConnections() {
      return closedConnections;
    },
    startIdleTimers() {
      for (const arm of [...idle.values()]) arm();
    },
    closed(count: number) {
      if (closedConnections >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
