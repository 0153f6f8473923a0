/*
 * Registered twice, counted once: two instances of an instrumentation on one
 * MeterProvider count each connection, use and pool once, as the servers saw them.
 */
import { join } from 'node:path';
import { postgresAddress, requireReachable, runFixture } from '@connmetrics/test-harness';
import { FIXTURES, fixtureEnv } from './helpers';

interface Result {
  server: { accepted: number; requests: number };
  db: { pids: number; checkouts: number; totalCount: number; openCount: number; openMax: number };
  http: { created: number; reused: number; closed: number; durations: number; waits: number };
  pg: { created: number; reused: number; closed: number; waits: number; uses: number };
}

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
});

test('[...getConnectionInstrumentations(), new Http…(), new Pg…()]: created, reused, closed, durations, waits and pool gauges once', async () => {
  const run = await runFixture<Result>(join(FIXTURES, 'double-registration.cjs'), { cwd: FIXTURES, env: fixtureEnv() });
  expect(run.stderr).toBe('');
  const { server, db, http, pg } = run.result!;
  expect(server.requests).toBe(20);
  expect(http).toEqual({
    created: server.accepted,
    reused: server.requests - server.accepted,
    closed: server.accepted,
    durations: server.accepted,
    waits: server.accepted, // the first request of each connection waited for it; none was queued (maxSockets = requests at once)
  });
  expect(pg).toEqual({ created: db.pids, reused: db.checkouts - db.pids, closed: db.pids, waits: db.checkouts, uses: db.checkouts });
  expect(db.openCount).toBe(db.totalCount);
  expect(db.openMax).toBe(3);
});
