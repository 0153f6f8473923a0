import { join } from 'node:path';
import { runFixture, startRedisServer, type RestartableRedisServer } from '@connmetrics/test-harness';

let server: RestartableRedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

async function fixture<T>(name: string): Promise<T> {
  const run = await runFixture<T>(join(__dirname, 'fixtures', name), { args: [String(server.port)], timeoutMs: 30_000 });
  if (run.code !== 0 || !run.result) throw new Error(`fixture ${name} failed (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
  return run.result;
}

test('enabled before require: pool names from `name`; redis 6, 5.12 and 4 in one process counted once each', async () => {
  const result = await fixture<{
    six: { created: number; reused: number };
    five: { created: number; reused: number };
    poolSix: { created: number; reused: number };
    four: { created: number; reused: number };
    createdTotal: number;
    named: string[];
    warnings: string[];
  }>('copies.js');
  // The server sees the names too (CLIENT LIST): the same connections.
  expect(result.named).toEqual(['five', 'four', 'pool-six', 'pool-six', 'six']);
  expect(result.six).toEqual({ created: 1, reused: 4 });
  expect(result.five).toEqual({ created: 1, reused: 4 });
  expect(result.poolSix).toEqual({ created: 2, reused: 8 });
  expect(result.four).toEqual({ created: 1, reused: 0 }); // one PING: the connection's own use
  expect(result.createdTotal).toBe(5);
  expect(result.warnings).toEqual([]);
});

test('an ES module application is counted, with the pool name from `name`', async () => {
  expect(await fixture('esm-app.mjs')).toEqual({ created: 1, reused: 9 });
});
