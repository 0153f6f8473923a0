/*
 * An application on the OpenTelemetry JS 2.x line (@opentelemetry/api 1.9,
 * sdk-metrics 2, instrumentation 0.2xx) that forced the packed packages in
 * past their `@opentelemetry/api` ^1.10 peer range (npm --legacy-peer-deps):
 * @opentelemetry/instrumentation 0.30x, which the packages depend on, would
 * throw from every constructor. Instead each instrumentation says once, through
 * diag.warn, why it records nothing, and the application runs as without it.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installScratchApp, removeTarballs, runFixture } from '@connmetrics/test-harness';
import { FIXTURES } from './helpers';

jest.setTimeout(300_000);
afterAll(removeTarballs);

const NAMES = [
  'undici',
  'http',
  'pg',
  'ioredis',
  'redis',
  'grpc',
  'mysql2',
  'postgres',
].map((name) => `@connmetrics/instrumentation-${name}`);

test('an API older than 1.10 forced past the peer range: no exception, one diag.warn per instrumentation, the application unaffected', async () => {
  const app = await installScratchApp(
    { '@opentelemetry/api': '1.9.1', '@opentelemetry/sdk-metrics': '^2.2.0', '@opentelemetry/instrumentation': '^0.213.0' },
    ['--legacy-peer-deps'],
  );
  await copyFile(join(FIXTURES, 'old-api-app', 'app.cjs'), join(app, 'app.cjs'));
  const run = await runFixture<{ thrown: string[]; warnings: string[]; instrumentations: number; status: number; body: string }>(join(app, 'app.cjs'), {
    cwd: app,
    env: { NODE_OPTIONS: '' },
  });
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const { thrown, warnings, instrumentations, status, body } = run.result!;
  expect({ thrown, instrumentations, status, body }).toEqual({ thrown: [], instrumentations: 2 * NAMES.length, status: 200, body: 'ok' });
  // Once per instrumentation, though each was constructed twice (by hand and by getConnectionInstrumentations()).
  expect(warnings.map((warning) => /^connmetrics: (\S+) records nothing: the loaded @opentelemetry\/api is older than 1\.10/.exec(warning)?.[1] ?? warning).sort()).toEqual(
    [...NAMES].sort(),
  );
});
