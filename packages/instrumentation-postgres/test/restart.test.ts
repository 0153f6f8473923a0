/*
 * A server restart (pg_ctl restart -m fast, on a PostgreSQL server of the
 * test's own): the pool's idle connections are closed by the server, and the
 * queries after it open new ones, each counted.
 */
import { join } from 'node:path';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { MetricsSnapshot, startPostgresServer, startProcess, type PostgresServer, CLOSED, CREATED, DB_COUNT, FAILED, REUSE_FAILED } from '@connmetrics/test-harness';
import { closedBy, idle, pool } from './support/fixtures';

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgresServer();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

test('pg_ctl restart under an idle pool of 2: closed{server_closed} 2, then 2 new connections', async () => {
  const credentials = { host: server.host, port: server.port, user: server.user, pass: server.password, database: server.database };
  const fixture = startProcess(join(__dirname, 'fixtures', 'restart.js'), {
    args: ['restart', JSON.stringify(credentials)],
    cwd: join(__dirname, 'fixtures'),
  });
  try {
    await fixture.waitForLine(/^READY$/);
    await server.restart();
    fixture.kill('SIGUSR2');
    const exit = await fixture.exited(30_000);
    expect(exit).toEqual({ code: 0, signal: null });
  } finally {
    await fixture.stop();
  }
  const line = fixture.stdout.split('\n').find((candidate) => candidate.startsWith('RESULT '));
  if (!line) throw new Error(`no result\nstdout:\n${fixture.stdout}\nstderr:\n${fixture.stderr}`);
  const result = JSON.parse(line.slice('RESULT '.length)) as { snapshots: Record<string, MetricData[]>; values: { before: number; after: number } };
  expect(result.values).toEqual({ before: 2, after: 2 });
  const restarted = new MetricsSnapshot(result.snapshots.restarted!);
  expect(restarted.sum(CREATED, pool('restarted'))).toBe(2);
  expect(restarted.sum(CLOSED, closedBy('restarted', 'server_closed'))).toBe(2);
  expect(restarted.sum(CLOSED)).toBe(2);
  expect(restarted.sum(DB_COUNT, pool('restarted'))).toBe(0);
  expect(restarted.sum(REUSE_FAILED)).toBe(0);
  const recovered = new MetricsSnapshot(result.snapshots.recovered!);
  expect(recovered.sum(CREATED, pool('restarted'))).toBe(4);
  expect(recovered.sum(DB_COUNT, idle('restarted'))).toBe(2);
  expect(recovered.sum(FAILED)).toBe(0);
}, 90_000);
