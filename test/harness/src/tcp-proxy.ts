/*
 * A TCP proxy on loopback in front of a real server, for faults a test must
 * control: `resetAll()` resets (RST) every client connection it carries, as a
 * crashed peer or a middlebox does, so the client sees ECONNRESET. The server
 * behind it is never touched beyond the proxy's own connections to it.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Connections the proxy accepted so far (the server's view, through the proxy). */
  readonly accepted: number;
  /** `address:port` of each open connection to the server, as the server sees its client (CLIENT LIST addr=). */
  upstreamAddresses(): string[];
  /** Resets every open client connection (RST), and closes its upstream side. */
  resetAll(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<{ client: Socket; upstream: Socket }>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    open.add(pair);
    const end = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    host: '127.0.0.1',
    port: address.port,
    get accepted() {
      return accepted;
    },
    upstreamAddresses: () => [...open].filter(({ upstream }) => upstream.localPort !== undefined).map(({ upstream }) => `${upstream.localAddress}:${upstream.localPort}`),
    resetAll() {
      for (const { client, upstream } of [...open]) {
        client.resetAndDestroy();
        upstream.destroy();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, upstream } of open) {
          client.destroy();
          upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
