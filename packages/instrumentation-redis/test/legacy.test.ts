/*
 * redis 4 (@redis/client 1.x) and redis 5.11, which publish no diagnostics
 * channels, counted by the legacy patches (fixtures/legacy.js, under Node's
 * own require, which jest bypasses).
 */
import { join } from 'node:path';
import { refusedPort, runFixture, startRedisServer, type RestartableRedisServer } from '@connmetrics/test-harness';

let server: RestartableRedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

describe.each([
  ['redis4', 'redis 4'],
  ['redis511', 'redis 5.11'],
])('%s (%s): legacy patches', (copy) => {
  test('50 commands, CLIENT KILL, BLPOP in flight, refused, disable() and enable()', async () => {
    const run = await runFixture<Record<string, any>>(join(__dirname, 'fixtures', 'legacy.js'), { args: [copy, String(server.port)], timeoutMs: 30_000 });
    if (run.code !== 0 || !run.result) throw new Error(`fixture failed (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
    expect(/connmetrics/.test(run.stderr)).toBe(false);
    const facts = run.result;
    expect(facts.fiftyAccepted).toBe(1);
    expect(facts.fifty).toEqual({ created: 1, reused: 49, used: 0, idle: 1, closed: [] });
    expect(facts.blocked).toMatchObject({ used: 1, idle: 0 });
    expect(facts.unblocked).toMatchObject({ reused: 50, used: 0, idle: 1 });
    // BLPOP, CLIENT ID; the PING after the kill is the new connection's first use.
    expect(facts.killed).toEqual({ created: 2, reused: 51, used: 0, idle: 1, closed: [['server_closed', 1]] });
    expect(facts.quit).toEqual({ created: 2, reused: 51, used: 0, idle: 0, closed: [['server_closed', 1], ['client_closed', 1]] });
    expect(facts.refusedError).toBe('ECONNREFUSED');
    expect(facts.failed).toEqual([['ECONNREFUSED', 1]]);
    expect(facts.off).toEqual({ created: 0, reused: 0, used: 0, idle: 0, closed: [] });
    expect(facts.on).toEqual({ created: 1, reused: 1, used: 0, idle: 1, closed: [] });
    // Constructed while disabled (the module's classes were the originals then): never counted, nothing left open.
    expect(facts.adopted).toEqual({ created: 0, reused: 0, used: 0, idle: 0, closed: [] });
    expect(facts.adoptedQuit).toEqual({ created: 0, reused: 0, used: 0, idle: 0, closed: [] });
  });
});

describe.each([['redis4'], ['redis511']])('%s: two instances on one MeterProvider', (copy) => {
  test('created = connections the server accepted, uses and the refused attempt once each', async () => {
    const run = await runFixture<Record<string, unknown>>(join(__dirname, 'fixtures', 'two-instances-legacy.js'), {
      args: [copy, String(server.port), String(await refusedPort())],
      timeoutMs: 30_000,
    });
    if (run.code !== 0 || !run.result) throw new Error(`fixture failed (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
    expect(run.result).toEqual({ created: 1, accepted: 1, reused: 4, failed: 1, refused: 1, errors: [] });
  });
});
