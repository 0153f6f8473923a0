/*
 * A setup connmetrics cannot count fully is never silent under zero-code:
 * with OTEL_LOG_LEVEL unset (so OpenTelemetry has no diag logger),
 * connmetrics' own diag warnings become one Node warning each. The case driven
 * here is node-redis loaded before the register hook (an earlier --require):
 * its connections are counted, but its clients cannot be named.
 */
import { join } from 'node:path';
import { redisAddress, requireReachable, runFixture } from '@connmetrics/test-harness';
import { FIXTURES, REQUIRE_REGISTER, fixtureEnv, warningLines } from './helpers';

const PRELOAD_REDIS = ['--require', join(FIXTURES, 'preload-redis.cjs')];
const OWN_LOGGER = ['--require', join(FIXTURES, 'own-diag-logger.cjs')];
const NAMESPACE = '@connmetrics/instrumentation-redis';
const LOADED_BEFORE =
  'connmetrics: redis (@redis/client) was loaded before RedisConnectionInstrumentation was enabled: connections are counted, ' +
  'but pool names fall back to host:port/db and reconnects are not timed. Register connmetrics before requiring redis ' +
  '(node --require @connmetrics/auto/register, or --import for ESM).';

const redis = redisAddress();

beforeAll(async () => {
  await requireReachable('Redis', redis.host, redis.port);
});

function runRedisApp(execArgv: string[], env: NodeJS.ProcessEnv = {}) {
  return runFixture(join(FIXTURES, 'redis-app.cjs'), {
    execArgv,
    cwd: FIXTURES,
    args: ['3'],
    env: fixtureEnv({ OTEL_METRICS_EXPORTER: 'none', REDIS_URL: redis.url, ...env }),
  });
}

const pidOf = (stderr: string) => /^\(node:(\d+)\)/m.exec(stderr)?.[1];

test('OTEL_LOG_LEVEL unset: a library loaded before the hook gives one Node warning, and the application runs as without it', async () => {
  const run = await runRedisApp([...PRELOAD_REDIS, ...REQUIRE_REGISTER]);
  expect({ code: run.code, done: run.stdout.includes('redis-app: done'), warnings: warningLines(run.stderr) }).toEqual({
    code: 0,
    done: true,
    warnings: [`(node:${pidOf(run.stderr)}) [CONNMETRICS_SETUP] ConnmetricsWarning: ${LOADED_BEFORE}`],
  });
});

test('the hook loaded first: no warning at all', async () => {
  const run = await runRedisApp([...REQUIRE_REGISTER]);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
});

test('OTEL_LOG_LEVEL=none and --no-warnings each keep it quiet', async () => {
  const none = await runRedisApp([...PRELOAD_REDIS, ...REQUIRE_REGISTER], { OTEL_LOG_LEVEL: 'none' });
  const noWarnings = await runRedisApp(['--no-warnings', ...PRELOAD_REDIS, ...REQUIRE_REGISTER]);
  expect([none.code, none.stderr, noWarnings.code, noWarnings.stderr]).toEqual([0, '', 0, '']);
});

test("OTEL_LOG_LEVEL=warn: OpenTelemetry's console logger prints it instead, once", async () => {
  const run = await runRedisApp([...PRELOAD_REDIS, ...REQUIRE_REGISTER], { OTEL_LOG_LEVEL: 'warn' });
  expect({ code: run.code, warnings: warningLines(run.stderr) }).toEqual({ code: 0, warnings: [] });
  expect(run.stderr.split('\n').filter((line) => line.includes('was loaded before'))).toEqual([`${NAMESPACE} ${LOADED_BEFORE}`]);
});

test("an application's own diag logger registered first is kept, and receives the warning", async () => {
  const run = await runRedisApp([...OWN_LOGGER, ...PRELOAD_REDIS, ...REQUIRE_REGISTER]);
  expect({ code: run.code, stderr: run.stderr.trimEnd().split('\n') }).toEqual({ code: 0, stderr: [`app-logger warn: ${NAMESPACE} ${LOADED_BEFORE}`] });
});
