/*
 * The reuse report end to end: an unmodified application under
 * `--require @connmetrics/auto/register` with CONNMETRICS_REPORT, real
 * servers, the report printed at exit (stderr, a JSON file) and on SIGUSR2.
 * The close reasons are the packages' to refine: the expectations here hold
 * whichever reason a package gives (the sum of closes is exact).
 */
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresAddress, requireReachable, runFixture, startHttpServer, startProcess, waitFor, type RunningProcess, type TestServer } from '@connmetrics/test-harness';
import type { ConnectionReport } from '../src/index';
import { FIXTURES, REQUIRE_REGISTER, fixtureEnv, warningLines } from './helpers';

const COUNT = 6;
const HTTP = '@connmetrics/instrumentation-http';
const UNDICI = '@connmetrics/instrumentation-undici';

let closing: TestServer;
let keeping: TestServer;
let directory: string;
beforeAll(async () => {
  closing = await startHttpServer();
  keeping = await startHttpServer();
  directory = mkdtempSync(join(tmpdir(), 'connmetrics-report-'));
});
afterAll(async () => {
  await Promise.all([closing.close(), keeping.close()]);
  rmSync(directory, { recursive: true, force: true });
});

const args = () => [`${closing.origin}/`, `${keeping.origin}/`, String(COUNT)];
const target = (server: TestServer) => `127.0.0.1:${server.port}`;
const total = (record: Readonly<Record<string, number>>) => Object.values(record).reduce((sum, value) => sum + value, 0);

function expectRows(report: ConnectionReport, acceptedBefore: { closing: number; keeping: number }) {
  const row = (client: string, server: TestServer) => report.rows.find((candidate) => candidate.client === client && candidate.target === target(server));
  const noReuse = row(HTTP, closing);
  expect(noReuse).toMatchObject({ protocol: 'http', uses: COUNT, created: COUNT, reused: 0, reuseRatio: 0, failed: 0, reuseFailed: 0 });
  expect(closing.acceptedConnections - acceptedBefore.closing).toBe(COUNT);
  expect(total(noReuse!.closedByReason)).toBe(COUNT);
  expect(noReuse!.findings.map((finding) => finding.rule)).toEqual(['no_reuse']);
  expect(noReuse!.verdict).toMatch(new RegExp(`^no reuse: ${COUNT} uses, ${COUNT} connections, each closed after 1 use`));

  for (const client of [UNDICI, HTTP]) {
    expect(row(client, keeping)).toMatchObject({ protocol: 'http', uses: COUNT, created: 1, reused: COUNT - 1, verdict: 'ok' });
  }
  expect(keeping.acceptedConnections - acceptedBefore.keeping).toBe(2);
  expect(report.rows).toHaveLength(3);
}

const accepted = () => ({ closing: closing.acceptedConnections, keeping: keeping.acceptedConnections });

test('CONNMETRICS_REPORT=stderr prints the report when the application ends', async () => {
  const before = accepted();
  const run = await runFixture(join(FIXTURES, 'report-app.cjs'), {
    cwd: FIXTURES,
    execArgv: REQUIRE_REGISTER,
    args: args(),
    env: fixtureEnv({ CONNMETRICS_REPORT: 'stderr', OTEL_METRICS_EXPORTER: 'none' }),
  });
  expect(run.code).toBe(0);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^connmetrics reuse report \(\d{4}-\d\d-\d\dT.*Z, pid \d+\)$/);
  const start = lines.indexOf(`http ${target(closing)} (node:http)`);
  expect(start).toBeGreaterThan(0);
  expect(lines[start + 1]).toBe(`  uses ${COUNT}, created ${COUNT}, reuse 0.0 %, failed 0, reuse failures 0`);
  expect(lines.slice(start + 2, start + 6).find((line) => line.startsWith('  → '))).toMatch(
    new RegExp(`^  → no reuse: ${COUNT} uses, ${COUNT} connections, each closed after 1 use .* — `),
  );
  for (const name of ['undici', 'node:http']) {
    const at = lines.indexOf(`http ${target(keeping)} (${name})`);
    expect(lines[at + 1]).toBe(`  uses ${COUNT}, created 1, reuse ${(((COUNT - 1) / COUNT) * 100).toFixed(1)} %, failed 0, reuse failures 0`);
    expect(lines[at + 4]).toBe('  → ok');
  }
  expect(closing.acceptedConnections - before.closing).toBe(COUNT);
});

test('CONNMETRICS_REPORT=<file>.json writes the report as JSON, alongside an exporter', async () => {
  const before = accepted();
  const file = join(directory, 'report.json');
  const run = await runFixture(join(FIXTURES, 'report-app.cjs'), {
    cwd: FIXTURES,
    execArgv: REQUIRE_REGISTER,
    args: args(),
    env: fixtureEnv({ CONNMETRICS_REPORT: file, OTEL_METRICS_EXPORTER: 'console', OTEL_METRIC_EXPORT_INTERVAL: '600000' }),
  });
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  const report = JSON.parse(readFileSync(file, 'utf8')) as ConnectionReport;
  expect(report.notes).toEqual([]);
  expectRows(report, before);
});

test('a pg Pool smaller than the concurrency: the report says the uses waited, with the counts, and to raise max', async () => {
  const pg = postgresAddress();
  await requireReachable('PostgreSQL', pg.host, pg.port);
  const queries = 5;
  // Long enough that the waits stay above the threshold (4 × create_time) on a loaded machine too.
  const QUERY_SECONDS = 1;
  const file = join(directory, 'pool.json');
  const run = await runFixture(join(FIXTURES, 'report-pool-app.cjs'), {
    cwd: FIXTURES,
    execArgv: REQUIRE_REGISTER,
    args: [String(queries), String(QUERY_SECONDS)],
    env: fixtureEnv({
      CONNMETRICS_REPORT: file,
      OTEL_METRICS_EXPORTER: 'none',
      PGHOST: pg.host,
      PGPORT: String(pg.port),
      PGUSER: pg.user,
      PGDATABASE: pg.database,
      ...(pg.password === undefined ? {} : { PGPASSWORD: pg.password }),
    }),
  });
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(readFileSync(file, 'utf8')) as ConnectionReport;
  expect(report.rows.map((row) => [row.protocol, row.target, row.uses, row.created, row.reused])).toEqual([
    ['postgresql', `${pg.host}:${pg.port}/${pg.database}`, queries, 1, queries - 1],
  ]);
  const row = report.rows[0]!;
  // One connection, five checkouts at once: the first waited for the connection to open, the
  // k-th after it for the k queries of 1 s before it (at least k s). The threshold is 10 ms or
  // 4 × the p99 of create_time (a loaded machine opens connections slowly), up to a bucket
  // boundary; the first checkout's wait (≈ create_time) stays under it.
  const threshold = row.wait.threshold;
  expect([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]).toContain(threshold);
  const queued = [1, 2, 3, 4].filter((k) => k * QUERY_SECONDS >= threshold).length;
  expect(row.wait).toMatchObject({ metric: 'db.client.connection.wait_time', count: queries, waited: queued });
  expect(row.findings.map((finding) => finding.rule)).toEqual(['waits']);
  expect(row.findings[0]!.verdict).toMatch(new RegExp(`^uses waited for a connection \\(p99 \\d(\\.\\d)? s, ${queued} of ${queries} over [\\d.]+ m?s\\)$`));
  expect(row.findings[0]!.fix).toBe("raise the Pool's `max` (or hold clients for shorter)");
});

test('a report that cannot be written: one warning naming the variable, the application unharmed', async () => {
  const run = await runFixture(join(FIXTURES, 'report-app.cjs'), {
    cwd: FIXTURES,
    execArgv: REQUIRE_REGISTER,
    args: args(),
    env: fixtureEnv({ CONNMETRICS_REPORT: join(directory, 'missing', 'report.json'), OTEL_METRICS_EXPORTER: 'none' }),
  });
  expect(run.code).toBe(0);
  expect(warningLines(run.stderr)).toEqual([
    `(node:${run.stderr.match(/^\(node:(\d+)\)/)?.[1]}) [CONNMETRICS_CONFIG] ConnmetricsWarning: CONNMETRICS_REPORT: could not write the reuse report to ${join(directory, 'missing', 'report.json')} (ENOENT).`,
  ]);
});

test('in code: connectionReportReader() in a NodeSDK, then connectionReport()', async () => {
  const before = closing.acceptedConnections;
  const run = await runFixture<ConnectionReport>(join(FIXTURES, 'report-sdk-app.cjs'), {
    cwd: FIXTURES,
    args: [`${closing.origin}/`, '4'],
    env: fixtureEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' }),
  });
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(closing.acceptedConnections - before).toBe(4);
  const report = run.result!;
  expect(report.notes).toEqual([]);
  expect(report.rows.map((row) => [row.client, row.target, row.uses, row.created, row.reused, total(row.closedByReason)])).toEqual([
    [HTTP, target(closing), 4, 4, 0, 4],
  ]);
  expect(report.rows[0]!.findings.map((finding) => finding.rule)).toEqual(['no_reuse']);
  expect(run.stdout).toContain(`http ${target(closing)} (node:http)\n  uses 4, created 4, reuse 0.0 %, failed 0, reuse failures 0\n`);
});

describe('on SIGUSR2', () => {
  let app: RunningProcess | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  test('a running service writes the report and keeps running; SIGTERM still ends it, with a last report', async () => {
    const before = accepted();
    const file = join(directory, 'service.json');
    app = startProcess(join(FIXTURES, 'report-app.cjs'), {
      cwd: FIXTURES,
    execArgv: REQUIRE_REGISTER,
      args: [...args(), 'serve'],
      env: fixtureEnv({ CONNMETRICS_REPORT: file, OTEL_METRICS_EXPORTER: 'none' }),
    });
    await app.waitForLine(/report-app: ready/);
    expect(existsSync(file)).toBe(false);
    app.kill('SIGUSR2');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').endsWith('}\n'), 'the report file');
    expectRows(JSON.parse(readFileSync(file, 'utf8')) as ConnectionReport, before);
    rmSync(file);
    app.kill('SIGTERM');
    expect(await app.exited()).toEqual({ code: null, signal: 'SIGTERM' });
    expectRows(JSON.parse(readFileSync(file, 'utf8')) as ConnectionReport, before);
  });
});

test('unset, nothing changes: no report, and SIGUSR2 keeps its default (it ends the process)', async () => {
  const app = startProcess(join(FIXTURES, 'report-app.cjs'), {
    cwd: FIXTURES,
    execArgv: REQUIRE_REGISTER,
    args: [...args(), 'serve'],
    env: fixtureEnv({ OTEL_METRICS_EXPORTER: 'none' }),
  });
  try {
    await app.waitForLine(/report-app: ready/);
    app.kill('SIGUSR2');
    expect(await app.exited()).toEqual({ code: null, signal: 'SIGUSR2' });
    expect(app.stderr).toBe('');
  } finally {
    await app.stop();
  }
});
