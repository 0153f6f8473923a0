/*
 * The packed packages, installed with npm into a scratch application that is
 * run with `node --require @connmetrics/auto/register` and whose own setup
 * file also calls getConnectionInstrumentations(): each connection and each
 * use is exported once, as the servers saw them (HTTP accepts and requests,
 * PostgreSQL backend pids and pool checkouts).
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installScratchApp, postgresAddress, removeTarballs, requireReachable, runFixture, startHttpServer, startOtlpReceiver } from '@connmetrics/test-harness';
import { CREATED, FIXTURES, LIFETIME, QUEUE, REQUIRE_REGISTER, REUSED, fixtureEnv } from './helpers';

jest.setTimeout(300_000);

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
});
afterAll(removeTarballs);

test('auto/register plus an SDK file that also registers: the exported counts are the server’s', async () => {
  const app = await installScratchApp({ pg: '^8.11.0' });
  for (const file of ['setup.cjs', 'app.cjs']) await copyFile(join(FIXTURES, 'tarball-app', file), join(app, file));
  const server = await startHttpServer();
  const receiver = await startOtlpReceiver();
  try {
    const run = await runFixture<{ pids: number; checkouts: number }>(join(app, 'app.cjs'), {
      execArgv: [...REQUIRE_REGISTER],
      cwd: app,
      args: [server.origin],
      env: fixtureEnv({ OTEL_METRICS_EXPORTER: 'none', APP_METRICS_URL: receiver.metricsUrl }),
    });
    expect({ code: run.code, stderr: run.stderr, done: run.stdout.includes('app: done') }).toEqual({ code: 0, stderr: '', done: true });
    const metrics = receiver.latest();
    const http = { 'network.protocol.name': 'http' };
    expect(server.requests).toBe(12);
    expect({
      created: metrics.sum(CREATED, http),
      reused: metrics.sum(REUSED, http),
      lifetimes: metrics.count(LIFETIME, http),
      waits: metrics.count(QUEUE, http),
    // Only the first request of each connection waited for one (none is queued: maxSockets = requests at once).
    }).toEqual({ created: server.acceptedConnections, reused: 12 - server.acceptedConnections, lifetimes: server.acceptedConnections, waits: server.acceptedConnections });
    const { pids, checkouts } = run.result!;
    const postgresql = { 'network.protocol.name': 'postgresql' };
    expect({
      created: metrics.sum(CREATED, postgresql),
      reused: metrics.sum(REUSED, postgresql),
      waits: metrics.count('db.client.connection.wait_time'),
    }).toEqual({ created: pids, reused: checkouts - pids, waits: checkouts });
  } finally {
    await server.close();
    await receiver.close();
  }
});
