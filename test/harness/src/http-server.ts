/*
 * Loopback HTTP and HTTPS servers that count the connections they accept, so
 * tests can check the client-side metrics against the server's own count.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { certs } from './certs';

export interface TestServerOptions {
  /** Serve HTTPS with the test certificate (or the self-signed one). */
  tls?: boolean | 'self-signed';
  /** Answer every request with `Connection: close`. */
  connectionClose?: boolean;
  /** Delay before answering, in milliseconds. */
  delayMs?: number;
  /** Server keep-alive timeout, in milliseconds. */
  keepAliveTimeoutMs?: number;
  /** Require client certificates signed by the test CA. */
  requestClientCert?: boolean;
  /** Host to listen on. */
  host?: string;
}

export interface TestServer {
  readonly port: number;
  readonly host: string;
  /** `http://127.0.0.1:PORT` or `https://localhost:PORT`. */
  readonly origin: string;
  /** Connections the server accepted (TCP, or completed TLS handshakes for HTTPS). */
  readonly acceptedConnections: number;
  readonly requests: number;
  /** TLS connections that resumed an earlier session, as the server saw them. */
  readonly resumedTlsSessions: number;
  /** Destroys every open connection on the server side. */
  destroyConnections(): void;
  close(): Promise<void>;
}

export async function startHttpServer(options: TestServerOptions = {}): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  let accepted = 0;
  let requests = 0;
  const sockets = new Set<Socket>();
  const handler: http.RequestListener = (request, response) => {
    requests += 1;
    request.resume();
    request.on('end', () => {
      const reply = () => {
        if (options.connectionClose) response.setHeader('connection', 'close');
        response.setHeader('content-type', 'text/plain');
        response.end('ok');
      };
      if (options.delayMs) setTimeout(reply, options.delayMs);
      else reply();
    });
  };
  const server = options.tls
    ? https.createServer(
        {
          cert: options.tls === 'self-signed' ? certs.selfSignedCert : certs.serverCert,
          key: options.tls === 'self-signed' ? certs.selfSignedKey : certs.serverKey,
          ca: certs.ca,
          requestCert: options.requestClientCert ?? false,
          rejectUnauthorized: options.requestClientCert ?? false,
        },
        handler,
      )
    : http.createServer(handler);
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 30_000;
  let resumed = 0;
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket & { isSessionReused?: () => boolean }) => {
    accepted += 1;
    if (socket.isSessionReused?.()) resumed += 1;
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `${options.tls ? 'https' : 'http'}://${options.tls ? 'localhost' : host}:${port}`;
  return {
    port,
    host,
    origin,
    get acceptedConnections() {
      return accepted;
    },
    get requests() {
      return requests;
    },
    get resumedTlsSessions() {
      return resumed;
    },
    destroyConnections() {
      for (const socket of sockets) socket.destroy();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
