import { connect, createServer } from 'node:net';

/** A loopback port that was free a moment ago (for a server the test starts on it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Reserved ports below 1024 that nothing on a test machine serves. */
const REFUSED_CANDIDATES = [9, 7, 1, 19, 13, 37];

/** How a connection attempt to host:port ends: 'connected', or the error's code. */
function attempt(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

let refused: Promise<number> | undefined;

/**
 * A loopback port with nothing listening: connections to it are refused.
 * A port below 1024 that refuses on 127.0.0.1 and does not answer on ::1:
 * no test and no other copy of the suite ever listens there (servers listen
 * on port 0, which the OS assigns from the ephemeral range), so it stays
 * refused, unlike a free port another process may take a moment later.
 */
export function refusedPort(): Promise<number> {
  refused ??= (async () => {
    for (const port of REFUSED_CANDIDATES) {
      if ((await attempt('127.0.0.1', port)) === 'ECONNREFUSED' && (await attempt('::1', port)) !== 'connected') return port;
    }
    throw new Error(`no refused loopback port among ${REFUSED_CANDIDATES.join(', ')}`);
  })();
  return refused;
}
