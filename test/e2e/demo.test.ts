/*
 * `pnpm demo` with short settings: it runs to completion, and the connection
 * numbers it prints (read from the connmetrics metrics) are exact: without
 * reuse every operation opens a connection, with reuse one connection serves
 * them all. Also on a machine without database services: an embedded
 * PostgreSQL, a redis-server started from the PATH, and a clear line when
 * there is no Redis at all.
 */
import { join } from 'node:path';
import { freePort, mysqlAddress, postgresAddress, redisAddress, requireReachable, runFixture } from '../harness';
import { ROOT, cleanEnv } from './env';

const DEMO = join(ROOT, 'examples', 'demo', 'demo.mjs');
const OPERATIONS = 10;

interface ReportRow {
  target: string;
  uses: number;
  created: number;
  reused: number;
  findings: { rule: string }[];
  verdict: string;
}
interface Variant {
  how: string;
  report: ReportRow[];
  wallMs: number;
  created: number;
  reused: number;
  failed: number;
  dnsLookups: number;
  tlsHandshakes: number;
}
interface Scenario {
  id: string;
  title: string;
  skipped?: string;
  error?: string;
  without?: Variant;
  with?: Variant;
}
interface DemoResult {
  operations: number;
  rttMs: number;
  results: Scenario[];
}

function mysqlEnv(): NodeJS.ProcessEnv {
  const mysql = mysqlAddress();
  return {
    MYSQL_HOST: mysql.host,
    MYSQL_PORT: String(mysql.port),
    MYSQL_USER: mysql.user,
    MYSQL_DATABASE: mysql.database,
    ...(mysql.password === undefined ? {} : { MYSQL_PASSWORD: mysql.password }),
  };
}

function postgresEnv(): NodeJS.ProcessEnv {
  const pg = postgresAddress();
  return {
    PGHOST: pg.host,
    PGPORT: String(pg.port),
    PGUSER: pg.user,
    PGDATABASE: pg.database,
    ...(pg.password === undefined ? {} : { PGPASSWORD: pg.password }),
  };
}

async function demo(args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = await runFixture<DemoResult>(DEMO, {
    args: ['--operations', String(OPERATIONS), '--rtt', '2', '--json', ...args],
    cwd: ROOT,
    env: cleanEnv(env),
    timeoutMs: 120_000,
  });
  if (run.code !== 0 || !run.result) throw new Error(`demo failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return { ...run, result: run.result };
}

/** The connection numbers of one scenario, as the demo measured them. */
function counts(scenario: Scenario) {
  const pick = (variant: Variant | undefined) =>
    variant && { created: variant.created, reused: variant.reused, failed: variant.failed, dnsLookups: variant.dnsLookups, tlsHandshakes: variant.tlsHandshakes };
  return { id: scenario.id, without: pick(scenario.without), with: pick(scenario.with) };
}

const https = (id: string) => ({
  id,
  without: { created: OPERATIONS, reused: 0, failed: 0, dnsLookups: OPERATIONS, tlsHandshakes: OPERATIONS },
  with: { created: 1, reused: OPERATIONS - 1, failed: 0, dnsLookups: 1, tlsHandshakes: 1 },
});
const plain = (id: string, dnsLookups: number) => ({
  id,
  without: { created: OPERATIONS, reused: 0, failed: 0, dnsLookups: dnsLookups * OPERATIONS, tlsHandshakes: 0 },
  with: { created: 1, reused: OPERATIONS - 1, failed: 0, dnsLookups, tlsHandshakes: 0 },
});

test('every scenario: a connection per operation without reuse, one for all with it', async () => {
  const redis = redisAddress();
  await requireReachable('Redis', redis.host, redis.port);
  await requireReachable('PostgreSQL', postgresAddress().host, postgresAddress().port);
  await requireReachable('MySQL', mysqlAddress().host, mysqlAddress().port);
  const { result, stdout } = await demo([], { ...postgresEnv(), ...mysqlEnv(), REDIS_URL: redis.url });

  expect(result.operations).toBe(OPERATIONS);
  expect(result.results.map(counts)).toEqual([
    https('fetch'),
    https('undici'),
    https('https'),
    https('axios'),
    plain('pg', 1),
    plain('postgres', 1),
    plain('mysql2', 1),
    plain('redis', 1),
    plain('node-redis', 1),
    // grpc-js resolves names itself, so its sockets connect to an address: no lookup to record.
    plain('grpc', 0),
  ]);
  expect(stdout).toContain(`PostgreSQL: PostgreSQL at ${postgresAddress().host}:${postgresAddress().port}`);
  expect(stdout).toContain(`MySQL: MySQL at ${mysqlAddress().host}:${mysqlAddress().port}`);
  expect(stdout).toContain(`Redis: Redis at ${redis.host}:${redis.port}`);
  // The table has a row per variant, with the reuse ratio.
  expect(stdout).toMatch(/^ {2}with reuse +\d+\.\d\d s +\d+\.\dx +1 +9 +90 %/m);
  expectReuseReport(result, stdout);
});

/**
 * The demo ends with the reuse report of each run: one row per run, "no reuse" with its fix
 * without reuse, "ok" with it (the close reasons are the packages' to give: not asserted).
 */
function expectReuseReport(result: DemoResult, stdout: string) {
  expect(stdout).toContain('Reuse report (connectionReport() from @connmetrics/auto), per run:');
  for (const scenario of result.results) {
    const without = scenario.without!.report;
    expect(without.map((row) => [row.uses, row.created, row.reused, row.findings.map((finding) => finding.rule)])).toEqual([
      [OPERATIONS, OPERATIONS, 0, ['no_reuse']],
    ]);
    expect(without[0]!.verdict).toMatch(new RegExp(`^no reuse: ${OPERATIONS} uses, ${OPERATIONS} connections, each closed after 1 use .* — .+`));
    expect(stdout).toContain(`${scenario.title}, without reuse:`);
    const withIt = scenario.with!.report;
    expect(withIt.map((row) => [row.uses, row.created, row.reused, row.verdict])).toEqual([[OPERATIONS, 1, OPERATIONS - 1, 'ok']]);
  }
  expect(stdout.match(/^ {4}→ no reuse: /gm)).toHaveLength(result.results.length);
  expect(stdout.match(/^ {4}→ ok$/gm)).toHaveLength(result.results.length);
}

test('no database services: embedded PostgreSQL and a redis-server started from the PATH', async () => {
  const { result, stdout } = await demo(['--only', 'pg,postgres,redis,node-redis', '--postgres', 'embedded', '--redis', 'spawn']);
  expect(result.results.map(counts)).toEqual([plain('pg', 1), plain('postgres', 1), plain('redis', 1), plain('node-redis', 1)]);
  expectReuseReport(result, stdout);
  expect(stdout).toContain('PostgreSQL: embedded PostgreSQL (PGlite)');
  expect(stdout).toMatch(/Redis: redis-server started on port \d+/);
});

test('no Redis reachable and no redis-server on the PATH: that scenario is skipped with a clear line', async () => {
  const port = await freePort();
  const { result, stdout } = await demo(['--only', 'redis'], { REDIS_URL: `redis://127.0.0.1:${port}`, PATH: '/nonexistent' });
  const reason = `no Redis server answers at 127.0.0.1:${port} and redis-server is not on the PATH`;
  expect(result.results).toEqual([{ id: 'redis', title: 'Redis (ioredis)', skipped: reason }]);
  expect(stdout).toContain(`Redis (ioredis): skipped: ${reason}`);
});

test('no MySQL server reachable: the mysql2 scenario is skipped with a clear line', async () => {
  const port = await freePort();
  const { result, stdout } = await demo(['--only', 'mysql2'], { MYSQL_HOST: '127.0.0.1', MYSQL_PORT: String(port) });
  const reason = `no MySQL server answers at 127.0.0.1:${port} (MYSQL_HOST, MYSQL_PORT)`;
  expect(result.results).toEqual([{ id: 'mysql2', title: 'mysql2', skipped: reason }]);
  expect(stdout).toContain(`mysql2: skipped: ${reason}`);
});
