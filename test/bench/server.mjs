// The HTTP server of the benchmarks, run in its own process so that its CPU
// time never counts against the client being measured. It answers every
// request with a canned `200 ok` written straight to the socket: far cheaper
// than a node:http server, so the client, not the server, limits throughput,
// and whatever the client's instrumentation costs shows in ops/s.
//
// Three listeners, by how they end connections:
//   keepAlive  never closes (keep-alive clients reuse their connections)
//   close      answers with `Connection: close` and closes (one request per connection)
//   every10    closes after the 10th request on a connection (the soak's churn)
//
// Started by fork(); sends { ports: { keepAlive, close, every10 } } when listening.
// On { cmd: 'destroyConnections' } it destroys every open connection and
// answers { destroyed: n }.
import { createServer } from 'node:net';

const sockets = new Set();

const KEEP_ALIVE_RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\nok',
);
const CLOSE_RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');

const CR = 13;
const LF = 10;

/**
 * Calls onRequest once per complete request head (`\r\n\r\n`) arriving on the
 * socket, across chunk boundaries. The clients send GET without a body.
 */
function onRequests(socket, onRequest) {
  let matched = 0; // how much of \r\n\r\n the bytes seen so far end with
  socket.on('data', (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === (matched % 2 === 0 ? CR : LF)) {
        matched += 1;
        if (matched === 4) {
          matched = 0;
          onRequest();
        }
      } else {
        matched = byte === CR ? 1 : 0;
      }
    }
  });
}

function listen(closeAfter) {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let served = 0;
    onRequests(socket, () => {
      served += 1;
      if (served >= closeAfter) {
        socket.end(CLOSE_RESPONSE);
      } else {
        socket.write(KEEP_ALIVE_RESPONSE);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

const [keepAlive, close, every10] = await Promise.all([listen(Infinity), listen(1), listen(10)]);
process.send({ ports: { keepAlive, close, every10 } });
process.on('message', (message) => {
  if (message?.cmd !== 'destroyConnections') return;
  const destroyed = sockets.size;
  for (const socket of sockets) socket.destroy();
  process.send({ destroyed });
});
// Ends with the parent: when the IPC channel closes, so does this process.
process.on('disconnect', () => process.exit(0));
