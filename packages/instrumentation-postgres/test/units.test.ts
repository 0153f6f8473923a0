/* The pure parts: which socket a claim takes (socket-claims.ts, from the built package). */
import { SocketClaims } from '../build/socket-claims';

describe('SocketClaims', () => {
  const postgresSocket = () => Object.assign(Object.create(null) as object, { ssl: false });

  test('a claim takes the next socket announced in the same synchronous run', () => {
    const claims = new SocketClaims();
    const taken: object[] = [];
    claims.expect({ opened: (socket) => taken.push(socket) });
    const socket = postgresSocket();
    expect(claims.announced(socket)).toBe(false);
    expect(taken).toEqual([socket]);
    // Taken once: the next postgres.js socket nobody expected is reported.
    expect(claims.announced(postgresSocket())).toBe(true);
  });

  test('a claim lapses at the next microtask (postgres.js reads `socket` once more before it connects)', async () => {
    const claims = new SocketClaims();
    const taken: object[] = [];
    claims.expect({ opened: (socket) => taken.push(socket) });
    await Promise.resolve();
    expect(claims.announced(postgresSocket())).toBe(true);
    expect(taken).toEqual([]);
  });

  test('sockets of other libraries are neither taken nor reported when nothing is expected', () => {
    const claims = new SocketClaims();
    expect(claims.announced({})).toBe(false);
  });
});
