import { connect, createServer } from 'node:net';

/**
 * Ports for servers a test starts itself (redis-server, postgres, Prometheus)
 * that must be chosen before the server binds. Below Linux's ephemeral range
 * (32768–60999): no outgoing connection and no `listen(0)` of this or another
 * copy of the suite takes one of them between the pick and the bind, which a
 * port the OS assigned a moment ago cannot promise. Picked at random and
 * checked free; a collision of two copies needs the same pick within that moment.
 */
const PORT_RANGE = { first: 20_000, last: 32_000 } as const;

function bindable(port: number, host: string): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A loopback port that is free now, outside the range the OS hands out (for a server the test starts on it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = PORT_RANGE.first + Math.floor(Math.random() * (PORT_RANGE.last - PORT_RANGE.first));
    if (await bindable(port, host)) return port;
  }
  throw new Error(`no free port on ${host} in ${PORT_RANGE.first}-${PORT_RANGE.last} after 50 tries`);
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
