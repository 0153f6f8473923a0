import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { certs } from '@connmetrics/test-harness';

export interface Http2TestServer {
  readonly port: number;
  /** Client sessions the server accepted. */
  readonly sessions: number;
  close(): Promise<void>;
}

/**
 * A node:http2 server on loopback answering every request with 200 and
 * `ok`; with `push`, it first pushes that many streams to the client.
 * `tls`: false, true (the harness certificate) or 'self-signed'.
 */
export async function startHttp2Server({ tls = false, push = 0 }: { tls?: boolean | 'self-signed'; push?: number } = {}): Promise<Http2TestServer> {
  const server = tls
    ? http2.createSecureServer({
        key: tls === 'self-signed' ? certs.selfSignedKey : certs.serverKey,
        cert: tls === 'self-signed' ? certs.selfSignedCert : certs.serverCert,
      })
    : http2.createServer();
  let sessions = 0;
  const open = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions += 1;
    open.add(session);
    session.on('close', () => open.delete(session));
  });
  server.on('stream', (stream) => {
    for (let index = 0; index < push; index += 1) {
      stream.pushStream({ ':path': `/pushed/${index}` }, (error, pushed) => {
        if (error) return;
        pushed.respond({ ':status': 200 });
        pushed.end('pushed');
      });
    }
    stream.respond({ ':status': 200, 'content-type': 'text/plain' });
    stream.end('ok');
  });
  // 'localhost' binds the address the client's own lookup of localhost finds first.
  await new Promise<void>((resolve) => server.listen(0, tls ? 'localhost' : '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get sessions() {
      return sessions;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of open) session.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One request on a session; resolves to the response body. */
export function request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': '/', ...headers });
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('error', reject);
    stream.on('close', () => resolve(body));
    stream.end();
  });
}
