/*
 * A CONNECT proxy on loopback (what undici's ProxyAgent and tunnelling
 * http.Agents talk to): each CONNECT opens one TCP tunnel to the target it
 * names, counted, so that tests can check connection counts against the
 * tunnels the proxy really opened.
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ConnectProxy {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Tunnels opened (CONNECT requests answered 200). */
  readonly tunnels: number;
  /** Connections the proxy accepted from clients. */
  readonly acceptedConnections: number;
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  let tunnels = 0;
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = net.createServer((client) => {
    accepted += 1;
    track(client);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.removeListener('data', onData);
      const [method, authority] = head.subarray(0, end).toString('latin1').split('\r\n')[0]!.split(' ');
      const rest = head.subarray(end + 4);
      const colon = authority?.lastIndexOf(':') ?? -1;
      if (method !== 'CONNECT' || !authority || colon === -1) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const host = authority.slice(0, colon).replace(/^\[|\]$/g, '');
      const target = net.connect(Number(authority.slice(colon + 1)), host === 'localhost' ? '127.0.0.1' : host, () => {
        tunnels += 1;
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (rest.length > 0) target.write(rest);
        client.pipe(target);
        target.pipe(client);
      });
      track(target);
      target.on('close', () => client.destroy());
      client.on('close', () => target.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get tunnels() {
      return tunnels;
    },
    get acceptedConnections() {
      return accepted;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
