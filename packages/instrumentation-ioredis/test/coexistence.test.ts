import { redisAddress, refusedPort, requireReachable } from '@connmetrics/test-harness';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CREATED, IOREDIS_COPIES, POOL, REUSED, runScenario } from './scenario';

const redis = redisAddress();

beforeAll(async () => {
  await requireReachable('Redis', redis.host, redis.port);
});

describe.each(IOREDIS_COPIES)('%s (%s): beside @opentelemetry/instrumentation-ioredis', (copy) => {
  test.each([
    ['enabled first', true],
    ['enabled last', false],
  ])('upstream %s: 50 commands still count created 1, reused 49', async (_order, upstreamFirst) => {
    const run = await runScenario('beside-upstream', copy, { host: redis.host, port: redis.port, commands: 50, upstreamFirst });
    expect(run.facts).toEqual({ created: 1, reused: 49, connects: 1, wrappers: 2 });
  });
});

describe.each(IOREDIS_COPIES)('%s (%s): two instances of the instrumentation', (copy) => {
  test('each counts every connection and use once', async () => {
    const run = await runScenario<{ counts: unknown[] }>('two-instances', copy, { host: redis.host, port: redis.port });
    expect(run.facts.counts).toEqual([
      { created: 1, reused: 9 },
      { created: 1, reused: 9 },
    ]);
  });
});

describe.each(IOREDIS_COPIES)('%s (%s): two instances on one MeterProvider', (copy) => {
  test('each connection, use and failed attempt counted once, as the server saw them; the second counts alone once the first is disabled', async () => {
    const run = await runScenario<Record<string, Record<string, number>>>('one-provider', copy, {
      host: redis.host,
      port: redis.port,
      refused: await refusedPort(),
    });
    const { both, bothCounts, second, secondCounts } = run.facts;
    // What the server and the client saw: one connection (one CLIENT ID) per client, one refused attempt.
    expect([both, second]).toEqual([
      { connections: 1, commands: 10, refused: 1, openWhileConnected: 1 },
      { connections: 1, commands: 5, refused: 1, openWhileConnected: 1 },
    ]);
    const expected = (...runs: Array<Record<string, number>>) => {
      const connections = runs.reduce((total, run) => total + run.connections!, 0);
      const commands = runs.reduce((total, run) => total + run.commands!, 0);
      const refused = runs.reduce((total, run) => total + run.refused!, 0);
      return { created: connections, reused: commands - connections, failed: refused, createTimes: connections, closed: connections };
    };
    expect(bothCounts).toEqual(expected(both!));
    expect(secondCounts).toEqual(expected(both!, second!));
  });
});

describe('ioredis 6, 5.11 and 5.10 in one process', () => {
  test('each copy is counted once per client, and disable() unpatches every copy', async () => {
    const run = await runScenario<Record<string, Record<string, boolean>>>('copies', 'ioredis', { host: redis.host, port: redis.port });
    const after = run.snapshot('afterCommands');
    for (const name of ['ioredis', 'ioredis5', 'ioredis510']) {
      expect(after.sum(CREATED, { [POOL]: name })).toBe(1);
      expect(after.sum(REUSED, { [POOL]: name })).toBe(9);
    }
    const all = (value: boolean) => ({ ioredis: value, ioredis5: value, ioredis510: value });
    expect(run.facts.whileEnabled).toEqual(all(true));
    expect(run.facts.whileDisabled).toEqual(all(false));
    expect(run.facts.whileReenabled).toEqual(all(true));
  });
});

describe.each(IOREDIS_COPIES)('%s (%s): an ES module application', (copy) => {
  let app: string;
  let dir: string;
  beforeAll(() => {
    // `import Redis from 'ioredis'` must find this copy under the name ioredis.
    dir = mkdtempSync(join(tmpdir(), 'connmetrics-esm-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(dirname(realpathSync(require.resolve(`${copy}/package.json`))), join(dir, 'node_modules', 'ioredis'));
    app = join(dir, 'app.mjs');
    copyFileSync(join(__dirname, 'fixtures', 'esm-app.mjs'), app);
    copyFileSync(join(__dirname, 'fixtures', 'esm-in-code.mjs'), join(dir, 'in-code.mjs'));
    // The in-code app resolves the harness and OpenTelemetry from this package.
    symlinkSync(join(__dirname, '..', 'node_modules', '@connmetrics'), join(dir, 'node_modules', '@connmetrics'));
    symlinkSync(join(__dirname, '..', 'node_modules', '@opentelemetry'), join(dir, 'node_modules', '@opentelemetry'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('imported through the OpenTelemetry loader hook, 20 commands count created 1, reused 19', async () => {
    const register = join(__dirname, 'fixtures', 'esm-register.mjs');
    const run = await runScenario(app, copy, { host: redis.host, port: redis.port, commands: 20 }, ['--import', register]);
    expect(run.facts).toEqual({ created: 1, reused: 19 });
  });

  test('set up in code, then `await import(\'ioredis\')` (no loader hook): 20 commands count created 1, reused 19, exactly', async () => {
    process.env.CONNMETRICS_IOREDIS_BUILD = join(__dirname, '..', 'build', 'index.js');
    const run = await runScenario(join(dir, 'in-code.mjs'), copy, { host: redis.host, port: redis.port, commands: 20 });
    expect(run.facts).toEqual({ idIsNumber: true, created: 1, reused: 19, closed: 1, uses: 20 });
  });
});

describe.each(IOREDIS_COPIES)('%s (%s): loaded before the instrumentation', (copy) => {
  test('the copy in the module cache is patched at enable(): new clients count exactly, older ones are adopted at their next use', async () => {
    const run = await runScenario('loaded-first', copy, { host: redis.host, port: redis.port });
    expect(run.facts).toEqual({ earlyCreated: 0, earlyReused: 5, lateCreated: 1, lateReused: 4 });
  });
});
