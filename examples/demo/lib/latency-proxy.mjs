// A TCP proxy that makes loopback look like a network: every chunk, in each
// direction, is delayed by half the round-trip time. TLS handshakes, database
// handshakes and requests then cost real round trips, as they do between
// machines. (The TCP handshake itself stays on loopback: the client's connect
// completes at once, so real networks add one more round trip per new
// connection than the demo shows.)
import net from 'node:net';

/**
 * Starts a proxy on `localhost` (a random port) to `target` ({ host, port }).
 * Returns { host, port, close() }.
 */
export async function startLatencyProxy(target, roundTripMs) {
  const oneWay = roundTripMs / 2;
  const sockets = new Set();
  // Half-open sockets: an end travels through the proxy, late like the data before it.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ ...target, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {}); // the other side sees the close
    }
    pipeDelayed(client, upstream, oneWay);
    pipeDelayed(upstream, client, oneWay);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, 'localhost', resolve);
  });
  return {
    host: 'localhost',
    port: server.address().port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Forwards `from` to `to`, each chunk `delayMs` later, in order (timers of equal delay fire in order). */
function pipeDelayed(from, to, delayMs) {
  const later = (action) => (delayMs > 0 ? setTimeout(action, delayMs) : setImmediate(action));
  from.on('data', (chunk) => later(() => to.writable && to.write(chunk)));
  from.on('end', () => later(() => to.end()));
  // Closed without an end (reset, error): close the other side too.
  from.on('close', () => later(() => to.writableEnded || to.destroy()));
}
