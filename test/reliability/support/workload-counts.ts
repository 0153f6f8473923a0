import type { Protocol } from './fixtures';

/**
 * What the workloads of fixtures/workloads.cjs count with working
 * instruments: created, reused and failed connections per protocol.
 */
export const EXPECTED: Record<Protocol, { created: number; reused: number; failed: number }> = {
  // keep-alive agent of 2 sockets, 6 parallel requests (2 + 4 reuses); https, 2 requests (1 + 1); a refused port
  http: { created: 3, reused: 5, failed: 1 },
  // a Pool, 4 sequential requests (1 + 3); fetch through an Agent, 2 (1 + 1); a refused port
  undici: { created: 2, reused: 4, failed: 1 },
  // a pool of 2, 6 queries at once (2 + 4 checkouts reused); a bare client, 2 queries (1 + 1); a refused port
  pg: { created: 3, reused: 5, failed: 1 },
  // one client, 5 commands (1 + 4); a refused port
  ioredis: { created: 1, reused: 4, failed: 1 },
  // node-redis: one client, 5 commands (1 + 4); a refused port, reconnects off
  redis: { created: 1, reused: 4, failed: 1 },
  // one channel, 5 calls (1 + 4); a refused port
  grpc: { created: 1, reused: 4, failed: 1 },
  // a pool of 2, 6 queries at once (2 + 4 checkouts reused); a connection, 2 queries (1 + 1); a refused port
  mysql2: { created: 3, reused: 5, failed: 1 },
  // postgres.js: a pool of 2, 6 queries at once (2 + 4 reused); a reservation on it (1 reused); a refused port
  postgres: { created: 2, reused: 5, failed: 1 },
};

/** The counts of one workload run per protocol, from a collection. */
export function countsOf(collection: { of(protocol: Protocol): { metric(name: string): unknown; sum(name: string): number } }, protocols: readonly Protocol[]) {
  const sum = (protocol: Protocol, name: string) => (collection.of(protocol).metric(name) ? collection.of(protocol).sum(name) : 0);
  return Object.fromEntries(
    protocols.map((protocol) => [
      protocol,
      {
        created: sum(protocol, 'connmetrics.connection.created'),
        reused: sum(protocol, 'connmetrics.connection.reused'),
        failed: sum(protocol, 'connmetrics.connection.failed'),
      },
    ]),
  );
}
