/*
 * The packed packages, installed with npm into a scratch application that is
 * run with `node --require @connmetrics/auto/register` and whose own setup
 * file also calls getConnectionInstrumentations(): each connection and each
 * use is exported once, as the server saw them.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installScratchApp, runFixture, startHttpServer, startOtlpReceiver } from '@connmetrics/test-harness';
import { CREATED, FIXTURES, LIFETIME, QUEUE, REQUIRE_REGISTER, REUSED, fixtureEnv } from './helpers';

jest.setTimeout(300_000);

test('auto/register plus an SDK file that also registers: the exported counts are the server’s', async () => {
  const app = await installScratchApp();
  for (const file of ['setup.cjs', 'app.cjs']) await copyFile(join(FIXTURES, 'tarball-app', file), join(app, file));
  const server = await startHttpServer();
  const receiver = await startOtlpReceiver();
  try {
    const run = await runFixture(join(app, 'app.cjs'), {
      execArgv: [...REQUIRE_REGISTER],
      cwd: app,
      args: [server.origin],
      env: fixtureEnv({ OTEL_METRICS_EXPORTER: 'none', APP_METRICS_URL: receiver.metricsUrl }),
    });
    expect({ code: run.code, stderr: run.stderr, stdout: run.stdout.trim() }).toEqual({ code: 0, stderr: '', stdout: 'app: done' });
    const metrics = receiver.latest();
    const http = { 'network.protocol.name': 'http' };
    expect(server.requests).toBe(12);
    expect({
      created: metrics.sum(CREATED, http),
      reused: metrics.sum(REUSED, http),
      lifetimes: metrics.count(LIFETIME, http),
      waits: metrics.count(QUEUE, http),
    }).toEqual({ created: server.acceptedConnections, reused: 12 - server.acceptedConnections, lifetimes: server.acceptedConnections, waits: 12 });
  } finally {
    await server.close();
    await receiver.close();
  }
});
