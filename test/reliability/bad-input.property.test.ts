/*
 * Generated bad input (fast-check): URLs with user info and passwords, paths,
 * query strings and fragments, IPv6 literals, odd-case host names,
 * non-default ports, Unix sockets, pg and postgres.js connection strings, ioredis URLs, mysql2 URIs
 * with passwords, SQL and command arguments carrying secrets. No attribute of
 * any emitted metric may contain a secret; no hook may fail; the application
 * sees the same with and without instrumentation.
 *
 * node:http and undici run here (their diagnostics channels need no module
 * patch); pg and ioredis run in a child process (fixtures/bad-input.cjs),
 * where their module patches apply, with fast-check driving them there.
 */
import * as http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as undici from 'undici';
import { HttpConnectionInstrumentation } from '@connmetrics/instrumentation-http';
import { UndiciConnectionInstrumentation } from '@connmetrics/instrumentation-undici';
import { TestMetrics, captureDiag, mysqlAddress, postgresAddress, requireReachable, startHttpServer, type CapturedDiag, type TestServer } from '@connmetrics/test-harness';
import { runScenario } from './support/fixtures';
import { startOwnRedisServer, type OwnRedisServer } from './support/redis-server';
import { leaks, secret } from './support/secrets';

const RUNS = 40;

/** connmetrics.connection.created over every package's metrics (a snapshot lists one metric per package). */
function totalCreated(snapshot: { metrics: readonly { descriptor: { name: string }; dataPoints: readonly { value: unknown }[] }[] }): number {
  return snapshot.metrics
    .filter((metric) => metric.descriptor.name === 'connmetrics.connection.created')
    .reduce((total, metric) => total + metric.dataPoints.reduce((sum, point) => sum + (point.value as number), 0), 0);
}

describe('node:http and undici: generated URLs and request options', () => {
  let tcp: TestServer;
  let unixServer: http.Server;
  let socketDir: string;
  let socketPath: string;
  let metrics: TestMetrics;
  let instrumentations: Array<HttpConnectionInstrumentation | UndiciConnectionInstrumentation>;
  let logged: CapturedDiag;

  beforeAll(async () => {
    tcp = await startHttpServer({ host: '::' }); // dual stack: 127.0.0.1, localhost and [::1]
    socketDir = mkdtempSync(join(tmpdir(), 'connmetrics-reliability-http-'));
    socketPath = join(socketDir, 'http.sock');
    unixServer = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => response.end('ok'));
    });
    await new Promise<void>((resolve) => unixServer.listen(socketPath, resolve));
    logged = captureDiag();
    metrics = new TestMetrics();
    instrumentations = [new HttpConnectionInstrumentation({ recordPeerAddress: true }), new UndiciConnectionInstrumentation({ recordPeerAddress: true })];
    for (const instrumentation of instrumentations) instrumentation.setMeterProvider(metrics.meterProvider);
  });

  afterAll(async () => {
    for (const instrumentation of instrumentations) instrumentation.disable();
    logged.restore();
    await metrics.shutdown();
    await tcp.close();
    unixServer.closeAllConnections();
    await new Promise<void>((resolve) => unixServer.close(() => resolve()));
    rmSync(socketDir, { recursive: true, force: true });
  });

  const host = fc.constantFrom('127.0.0.1', 'localhost', 'LocalHost', 'LOCALHOST', '[::1]');
  const client = fc.constantFrom('http url', 'http options', 'http socketPath', 'undici url', 'undici socketPath', 'fetch');

  function httpGet(target: string | http.RequestOptions, options: http.RequestOptions): Promise<string> {
    return new Promise((resolve, reject) => {
      const callback = (response: http.IncomingMessage) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve(`${response.statusCode} ${body}`));
      };
      const request = typeof target === 'string' ? http.get(target, options, callback) : http.get({ ...target, ...options }, callback);
      request.on('error', reject);
    });
  }

  async function call(kind: string, hostname: string, user: string, password: string, path: string, query: string, fragment: string): Promise<string> {
    const url = `http://${user}:${password}@${hostname}:${tcp.port}/${path}?token=${query}#${fragment}`;
    const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const agent = new http.Agent({ keepAlive: true });
    try {
      switch (kind) {
        case 'http url':
          return await httpGet(url, { agent });
        case 'http options':
          return await httpGet({ host: hostname.replace(/^\[|\]$/g, ''), port: tcp.port, path: `/${path}?token=${query}`, auth: `${user}:${password}` }, { agent });
        case 'http socketPath':
          return await httpGet({ socketPath, path: `/${path}?token=${query}`, auth: `${user}:${password}` }, { agent });
        case 'undici url': {
          const pool = new undici.Pool(`http://${hostname}:${tcp.port}`);
          try {
            const response = await undici.request(`http://${hostname}:${tcp.port}/${path}?token=${query}#${fragment}`, { dispatcher: pool, headers: { authorization } });
            return `${response.statusCode} ${await response.body.text()}`;
          } finally {
            await pool.close();
          }
        }
        case 'undici socketPath': {
          const socketClient = new undici.Client(`http://${hostname}`, { socketPath });
          try {
            const response = await socketClient.request({ path: `/${path}?token=${query}`, method: 'GET', headers: { authorization } });
            return `${response.statusCode} ${await response.body.text()}`;
          } finally {
            await socketClient.close();
          }
        }
        default: {
          // fetch refuses credentials in the URL: the application gets the same TypeError either way.
          const dispatcher = new undici.Agent();
          try {
            const response = await undici.fetch(url, { dispatcher }).catch((error: Error) => ({ status: error.name, text: async () => '' }));
            return `${response.status} ${await response.text()}`;
          } finally {
            await dispatcher.close();
          }
        }
      }
    } finally {
      agent.destroy();
    }
  }

  test('no user, password, path, query or fragment in any attribute; no hook fails; the same results with and without instrumentation', async () => {
    let connecting = 0;
    await fc.assert(
      fc.asyncProperty(client, host, secret, secret, secret, secret, secret, async (kind, hostname, user, password, path, query, fragment) => {
        for (const instrumentation of instrumentations) instrumentation.disable();
        const without = await call(kind, hostname, user, password, path, query, fragment).catch((error: Error) => `error ${error.name}`);
        for (const instrumentation of instrumentations) instrumentation.enable();
        const withInstrumentation = await call(kind, hostname, user, password, path, query, fragment).catch((error: Error) => `error ${error.name}`);
        expect(withInstrumentation).toBe(without);
        if (kind !== 'fetch') connecting += 1; // fetch refuses the credentials before connecting
        await new Promise((resolve) => setImmediate(resolve));
        const snapshot = await metrics.collect();
        expect(leaks(snapshot.allAttributeSets(), [user, password, path, query, fragment, 'token'])).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    const snapshot = await metrics.collect();
    // Not vacuous: each run that connects opened exactly one connection, counted once (by one package).
    expect(totalCreated(snapshot)).toBe(connecting);
    // Every connection named its server by host, IP or socket, never by anything else.
    const addresses = new Set(snapshot.allAttributeSets().map(({ attributes }) => attributes['server.address']));
    for (const address of addresses) expect(['127.0.0.1', 'localhost', '::1', socketPath, undefined]).toContain(address);
    expect(logged.errors).toEqual([]);
  });
});

describe('pg, postgres.js, ioredis, node-redis and mysql2: generated connection strings, URLs, options and commands (child process)', () => {
  let redis: OwnRedisServer;
  beforeAll(async () => {
    const { host, port } = postgresAddress();
    await requireReachable('PostgreSQL', host, port);
    redis = await startOwnRedisServer();
  });
  afterAll(async () => {
    await redis.close();
  });

  test('pg: connection strings and options with passwords, unknown users, Unix sockets, odd-case hosts, SQL with secrets', async () => {
    const { values, diag } = await runScenario<{ failure: string | null; runs: number; addresses: string[]; outcomes: Record<string, number>; recorded: string[] }>(
      'bad-input.cjs',
      'pg',
      { runs: RUNS },
      { timeoutMs: 120_000 },
    );
    expect(values.failure).toBeNull();
    expect(values.runs).toBe(RUNS);
    for (const address of values.addresses) expect(['127.0.0.1', 'localhost', '::1', '/var/run/postgresql']).toContain(address);
    // Not vacuous: connections were made and failed (unknown role 28000, nobody on ::1), and recorded.
    expect(Object.keys(values.outcomes)).toEqual(expect.arrayContaining(['ok', '28000', 'ECONNREFUSED']));
    expect(values.recorded).toEqual(expect.arrayContaining(['created /var/run/postgresql', 'created localhost', 'failed ::1', 'failed localhost']));
    expect(diag.filter((entry) => entry.level === 'error')).toEqual([]);
  }, 150_000);

  test('mysql2: URIs and options with users and passwords (right and wrong), the Unix socket, odd-case hosts, SQL with secrets', async () => {
    const mysql = mysqlAddress();
    await requireReachable('MySQL/MariaDB', mysql.host, mysql.port);
    const socketPath = process.env.MYSQL_SOCKET ?? '/run/mysqld/mysqld.sock';
    const { values, diag } = await runScenario<{ failure: string | null; runs: number; addresses: string[]; outcomes: Record<string, number>; recorded: string[] }>(
      'bad-input.cjs',
      'mysql2',
      { runs: RUNS, socketPath },
      { timeoutMs: 120_000 },
    );
    expect(values.failure).toBeNull();
    expect(values.runs).toBe(RUNS);
    for (const address of values.addresses) expect(['127.0.0.1', 'localhost', '::1', socketPath]).toContain(address);
    // Not vacuous: the right password connected (also over the socket), unknown users and ::1 failed, and were recorded.
    expect(Object.keys(values.outcomes)).toEqual(expect.arrayContaining(['ok', 'ER_ACCESS_DENIED_ERROR', 'ECONNREFUSED']));
    expect(values.recorded).toEqual(expect.arrayContaining([`created ${socketPath}`, 'created 127.0.0.1', 'failed ::1', 'failed localhost']));
    expect(diag.filter((entry) => entry.level === 'error')).toEqual([]);
  }, 150_000);

  test('postgres.js: URLs and options with passwords, unknown users, the Unix socket, odd-case hosts, SQL with secrets', async () => {
    const { values, diag } = await runScenario<{ failure: string | null; runs: number; addresses: string[]; outcomes: Record<string, number>; recorded: string[] }>(
      'bad-input.cjs',
      'postgres',
      { runs: RUNS },
      { timeoutMs: 120_000 },
    );
    expect(values.failure).toBeNull();
    expect(values.runs).toBe(RUNS);
    for (const address of values.addresses) expect(['127.0.0.1', 'localhost', '/var/run/postgresql']).toContain(address);
    // Not vacuous: connections were made and failed (unknown role 28000), and recorded.
    expect(Object.keys(values.outcomes)).toEqual(expect.arrayContaining(['ok', '28000']));
    expect(values.recorded).toEqual(expect.arrayContaining(['created /var/run/postgresql', 'created localhost', 'failed localhost']));
    expect(diag.filter((entry) => entry.level === 'error')).toEqual([]);
  }, 150_000);

  test('ioredis: URLs and options with users and passwords (right and wrong), Unix socket paths, secret keys and values', async () => {
    const { values, diag } = await runScenario<{ failure: string | null; runs: number; addresses: string[]; outcomes: Record<string, number>; recorded: string[] }>(
      'bad-input.cjs',
      'ioredis',
      { runs: RUNS, port: redis.port, socketPath: redis.socketPath },
      { timeoutMs: 120_000 },
    );
    expect(values.failure).toBeNull();
    expect(values.runs).toBe(RUNS);
    for (const address of values.addresses) expect(['127.0.0.1', 'localhost', redis.socketPath]).toContain(address);
    // Not vacuous: right passwords connected, wrong ones failed (WRONGPASS), over TCP and the socket.
    expect(Object.keys(values.outcomes)).toEqual(expect.arrayContaining(['ok']));
    expect(values.recorded).toEqual(expect.arrayContaining([`created ${redis.socketPath}`, 'created 127.0.0.1', 'failed localhost']));
    expect(diag.filter((entry) => entry.level === 'error')).toEqual([]);
  }, 150_000);

  test('node-redis: URLs and options with users and passwords (right and wrong), Unix socket paths, secret keys and values', async () => {
    const { values, diag } = await runScenario<{ failure: string | null; runs: number; addresses: string[]; outcomes: Record<string, number>; recorded: string[] }>(
      'bad-input.cjs',
      'redis',
      { runs: RUNS, port: redis.port, socketPath: redis.socketPath },
      { timeoutMs: 120_000 },
    );
    expect(values.failure).toBeNull();
    expect(values.runs).toBe(RUNS);
    for (const address of values.addresses) expect(['127.0.0.1', 'localhost', redis.socketPath]).toContain(address);
    // Not vacuous: right passwords connected, wrong ones failed (WRONGPASS), over TCP and the socket.
    expect(Object.keys(values.outcomes)).toEqual(expect.arrayContaining(['ok']));
    expect(values.recorded).toEqual(expect.arrayContaining([`created ${redis.socketPath}`, 'created 127.0.0.1', 'failed localhost']));
    expect(diag.filter((entry) => entry.level === 'error')).toEqual([]);
  }, 150_000);
});
