/*
 * Beside node-redis 6's own OpenTelemetry integration on one MeterProvider:
 * the only names both export are db.client.connection.create_time and
 * wait_time, with the same meaning; with recordConnectionTimes: false each
 * connection is timed once (by node-redis), and the connection counts of the
 * two never share a name.
 */
import { join } from 'node:path';
import { runFixture, startRedisServer, type RestartableRedisServer } from '@connmetrics/test-harness';

let server: RestartableRedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

interface Result {
  scopes: Record<string, string[]>;
  counts: Record<string, number>;
}

async function run(recordConnectionTimes: boolean): Promise<Result> {
  const result = await runFixture<Result>(join(__dirname, 'fixtures', 'beside-node-redis-otel.js'), {
    args: [String(server.port), String(recordConnectionTimes)],
  });
  if (result.code !== 0 || !result.result) throw new Error(`fixture failed (exit ${result.code}):\n${result.stderr}`);
  return result.result;
}

const OURS = '@connmetrics/instrumentation-redis';
const THEIRS = 'node-redis';

test('recordConnectionTimes: false beside node-redis 6 OpenTelemetry: create_time once per connection, no shared name', async () => {
  const { scopes, counts } = await run(false);
  const shared = scopes[OURS]!.filter((name) => scopes[THEIRS]!.includes(name));
  expect(shared).toEqual([]);
  expect(scopes[THEIRS]).toEqual(expect.arrayContaining(['db.client.connection.create_time', 'redis.client.connection.count']));
  expect(counts).toEqual({ [`${THEIRS} db.client.connection.create_time`]: 2, [`${OURS} connmetrics.connection.created`]: 2 });
});

test('by default both time connections: the names they share are exactly create_time and wait_time', async () => {
  const { scopes, counts } = await run(true);
  const shared = scopes[OURS]!.filter((name) => scopes[THEIRS]!.includes(name));
  expect(shared).toEqual(['db.client.connection.create_time', 'db.client.connection.wait_time']);
  expect(counts[`${THEIRS} db.client.connection.create_time`]).toBe(2);
  expect(counts[`${OURS} db.client.connection.create_time`]).toBe(2);
});
