/*
 * The reuse report's rules, one by one: a real MeterProvider with the core
 * instruments, recorded as the instrumentations record, read back through
 * the report reader.
 */
import type { Attributes } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createConnectionInstruments, createDbConnectionInstruments, createHttpConnectionInstruments } from '@connmetrics/core';
import { connectionReport, connectionReportReader, formatConnectionReport, type ConnectionReportRow } from '../src/index';
import { NO_REUSE_MIN_CONNECTIONS, SERVER_IDLE_MIN_SECONDS, WAIT_MIN_SECONDS } from '../src/report/rules';

const UNDICI = '@connmetrics/instrumentation-undici';
const HTTP = '@connmetrics/instrumentation-http';
const PG = '@connmetrics/instrumentation-pg';
const IOREDIS = '@connmetrics/instrumentation-ioredis';
const REASON = 'connmetrics.connection.close.reason';

const server: Attributes = { 'network.protocol.name': 'http', 'server.address': 'api.example.com', 'server.port': 443 };
const pool: Attributes = { 'network.protocol.name': 'postgresql', 'db.system.name': 'postgresql', 'db.client.connection.pool.name': 'orders', 'server.address': 'db', 'server.port': 5432 };

function setup(scope: string) {
  const reader = connectionReportReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter(scope);
  const common = createConnectionInstruments(meter);
  const http = createHttpConnectionInstruments(meter);
  const db = createDbConnectionInstruments(meter);
  /** A connection's life as ConnectionTracker records it: created, uses (the first is not a reuse), then closed. */
  const connection = (attributes: Attributes, uses: number, close?: { reason: string; idle?: number; errorType?: string }) => {
    common.created.add(1, attributes);
    if (uses > 1) common.reused.seriesOf(attributes).value += uses - 1;
    if (!close) return;
    const closeAttributes = { ...attributes, [REASON]: close.reason, ...(close.errorType ? { 'error.type': close.errorType } : {}) };
    common.closed.add(1, closeAttributes);
    common.uses.record(uses, attributes);
    if (close.idle !== undefined) common.idleTime.record(close.idle, closeAttributes);
  };
  const report = async () => {
    const made = await connectionReport({ readers: [reader] });
    return { report: made, row: made.rows[0] as ConnectionReportRow, text: formatConnectionReport(made) };
  };
  return { provider, common, http, db, connection, report };
}

const rules = (row: ConnectionReportRow) => row.findings.map((finding) => finding.rule);

describe('the reuse report', () => {
  describe('no_reuse', () => {
    test('a client per request: every connection closed by the client after 1 use → share one Agent', async () => {
      const { connection, report } = setup(HTTP);
      for (let i = 0; i < 100; i++) connection(server, 1, { reason: 'client_closed', idle: 0.0001 });
      const { row, text } = await report();
      expect(row).toMatchObject({ protocol: 'http', target: 'api.example.com:443', uses: 100, created: 100, reused: 0, reuseRatio: 0 });
      expect(row.closedByReason).toEqual({ client_closed: 100 });
      expect(row.closedConnections).toEqual({ count: 100, afterOneUse: 100 });
      expect(rules(row)).toEqual(['no_reuse']);
      expect(row.verdict).toBe(
        'no reuse: 100 uses, 100 connections, each closed after 1 use (by the client: 100 of 100) — share one `http.Agent({ keepAlive: true })` across requests (pass it as `agent`)',
      );
      expect(text).toContain(`→ ${row.verdict}`);
    });

    test('in the words of each client: pg → one Pool, ioredis → one Redis client', async () => {
      const pg = setup(PG);
      const client = { ...pool, 'db.client.connection.pool.name': undefined };
      delete client['db.client.connection.pool.name'];
      for (let i = 0; i < 5; i++) pg.connection(client, 1, { reason: 'client_closed', idle: 0.001 });
      const pgRow = (await pg.report()).row;
      expect(pgRow.target).toBe('db:5432');
      expect(pgRow.findings[0]?.fix).toBe('share one `pg.Pool` instead of a `new Client()` per query');

      const redis = setup(IOREDIS);
      const attributes = { 'network.protocol.name': 'redis', 'server.address': '10.0.0.5', 'server.port': 6379 };
      for (let i = 0; i < 5; i++) redis.connection(attributes, 1, { reason: 'client_closed' });
      expect((await redis.report()).row.findings[0]?.fix).toBe('create one `Redis` client at start-up and reuse it for every command');
    });

    test('closed by the server after each use (Connection: close) → share one client, or enable keep-alive on the server', async () => {
      const { connection, report } = setup(UNDICI);
      for (let i = 0; i < 10; i++) connection(server, 1, { reason: 'server_closed', idle: 0.0002 });
      const { row } = await report();
      expect(rules(row)).toEqual(['no_reuse']); // idle 0.2 ms ≤ SERVER_IDLE_MIN_SECONDS: not an idle timeout
      expect(row.verdict).toContain('(by the server: 10 of 10)');
      expect(row.findings[0]?.fix).toBe(
        'share one undici `Agent`/`Pool` (or the global dispatcher) across requests instead of one per request, and do not send `connection: close`; ' +
          'if it already does, the server ends each connection after its use (`Connection: close`, a per-connection request limit): enable keep-alive on the server',
      );
    });

    test('some connections served more than one use: how many of the closed ones served one', async () => {
      const { connection, report } = setup(UNDICI);
      for (let i = 0; i < 8; i++) connection(server, 1, { reason: 'client_closed' });
      for (let i = 0; i < 2; i++) connection(server, 2, { reason: 'client_closed' });
      const { row } = await report();
      expect(row.reuseRatio).toBe(2 / 12);
      expect(row.findings[0]?.verdict).toBe('no reuse: 12 uses, 10 connections, 8 of the 10 closed after 1 use (by the client: 10 of 10)');
    });

    test('closed by errors: the verdict says so', async () => {
      const { connection, report } = setup(UNDICI);
      for (let i = 0; i < 4; i++) connection(server, 1, { reason: 'error', errorType: 'UND_ERR_SOCKET' });
      const { row } = await report();
      expect(row.closedByReason).toEqual({ error: 4 });
      expect(row.verdict).toMatch(/^no reuse: 4 uses, 4 connections, each closed after 1 use \(by an error: 4 of 4\) — share one undici/);
    });

    test(`fewer than ${NO_REUSE_MIN_CONNECTIONS} connections, or reuse at 20 % and above: ok`, async () => {
      const few = setup(UNDICI);
      for (let i = 0; i < NO_REUSE_MIN_CONNECTIONS - 1; i++) few.connection(server, 1, { reason: 'client_closed' });
      expect((await few.report()).row.verdict).toBe('ok');

      const enough = setup(UNDICI);
      // 10 connections, 2.5 reuses each on average: 15 reused of 25 uses... and 8 of 40 (20 %) exactly at the limit
      for (let i = 0; i < 8; i++) enough.connection(server, 2, { reason: 'client_closed' });
      for (let i = 0; i < 24; i++) enough.connection(server, 1, { reason: 'client_closed' });
      const { row } = await enough.report();
      expect(row.reuseRatio).toBe(8 / 40);
      expect(row.verdict).toBe('ok');
    });
  });

  describe('server_idle_timeout', () => {
    test('the server closes idle connections after ≈ 5 s while the client keeps them longer → keepAliveTimeout below 5 s', async () => {
      const { connection, report } = setup(UNDICI);
      for (let i = 0; i < 12; i++) connection(server, 3, { reason: 'server_closed', idle: 5.0 });
      for (let i = 0; i < 8; i++) connection(server, 40);
      const { row, text } = await report();
      expect(rules(row)).toEqual(['server_idle_timeout']);
      expect(row.idleBeforeServerClose).toEqual({ count: 12, p50: 5, p99: 5 });
      expect(row.findings[0]).toEqual({
        rule: 'server_idle_timeout',
        verdict: 'the server closes idle connections after ≈ 5 s (12 times) while this client keeps them longer',
        fix: "set `keepAliveTimeout` below 5 s on the undici `Agent`/`Pool` (`keepAliveMaxTimeout` caps what the server's Keep-Alive hint may raise it to)",
      });
      expect(text).toContain('idle before a server close: median 5 s');
    });

    test('with the client\'s own idle closes, it says how long the client keeps them; node:http words the fix as the agent\'s timeout', async () => {
      const { connection, report } = setup(HTTP);
      for (let i = 0; i < 3; i++) connection(server, 2, { reason: 'server_closed', idle: 4.2 });
      connection(server, 2, { reason: 'idle_timeout', idle: 30 });
      const { row } = await report();
      expect(row.findings[0]?.verdict).toBe('the server closes idle connections after ≈ 4.2 s (3 times) while this client keeps them up to 30 s');
      expect(row.findings[0]?.fix).toContain('give the agent a `timeout` below 4.2 s');
      // node:http cannot tell the server's close of an idle socket from the application's agent.destroy().
      expect(row.findings[0]?.fix).toContain("unless these closes were the application's own `agent.destroy()`");
    });

    test('explains no reuse instead of no_reuse: 4 requests 300 ms apart, server idle timeout 150 ms', async () => {
      const { connection, report } = setup(HTTP);
      for (let i = 0; i < 3; i++) connection(server, 1, { reason: 'server_closed', idle: 0.15 });
      connection(server, 1);
      const { row } = await report();
      expect(rules(row)).toEqual(['server_idle_timeout']);
      expect(row.findings[0]?.verdict).toMatch(/^the server closes idle connections after ≈ 150 ms \(3 times\)/);
    });

    test(`server closes after at most ${SERVER_IDLE_MIN_SECONDS * 1000} ms idle, or fewer than 5 % of connections: not an idle timeout`, async () => {
      const { connection, report } = setup(UNDICI);
      connection(server, 500, { reason: 'server_closed', idle: 4.9 }); // 1 of 21 connections: under 5 %
      for (let i = 0; i < 20; i++) connection(server, 500, { reason: 'server_closed', idle: SERVER_IDLE_MIN_SECONDS });
      const { row } = await report();
      expect(row.verdict).toBe('ok');
    });
  });

  describe('reuse_failures', () => {
    test('requests failed on reused connections (ECONNRESET) → the same fix, or retry idempotent requests', async () => {
      const { common, connection, report } = setup(UNDICI);
      for (let i = 0; i < 4; i++) connection(server, 5, { reason: 'server_closed', idle: 5 });
      for (let i = 0; i < 3; i++) common.reuseFailed.add(1, { ...server, 'error.type': 'ECONNRESET' });
      const { row } = await report();
      expect(rules(row)).toEqual(['server_idle_timeout', 'reuse_failures']);
      expect(row.findings[1]).toEqual({
        rule: 'reuse_failures',
        verdict: '3 uses failed on reused connections the server had just closed (ECONNRESET)',
        fix: 'the same fix, or retry idempotent requests',
      });
    });

    test('without a known server idle timeout the fix says what to set, per error type', async () => {
      const { common, connection, report } = setup(PG);
      for (let i = 0; i < 2; i++) connection(pool, 50);
      common.reuseFailed.add(2, { ...pool, 'error.type': 'ECONNRESET' });
      common.reuseFailed.add(1, { ...pool, 'error.type': 'EPIPE' });
      const { row } = await report();
      expect(row.target).toBe('orders');
      expect(row.findings).toEqual([
        {
          rule: 'reuse_failures',
          verdict: '3 uses failed on reused connections the server had just closed (ECONNRESET 2, EPIPE 1)',
          fix: "set the Pool's `idleTimeoutMillis` below the server's idle timeout, or retry idempotent requests",
        },
      ]);
    });
  });

  describe('waits', () => {
    test('a pool smaller than the concurrency: 40 of 200 checkouts waited (p99 120 ms) → raise max', async () => {
      const { db, connection, report } = setup(PG);
      for (let i = 0; i < 2; i++) connection(pool, 100);
      const poolOnly = { 'db.client.connection.pool.name': 'orders' };
      for (let i = 0; i < 2; i++) db.createTime.record(0.002, poolOnly); // 4 × 2 ms < 10 ms: the threshold stays 10 ms
      for (let i = 0; i < 160; i++) db.waitTime.record(0.00005, poolOnly);
      for (let i = 0; i < 40; i++) db.waitTime.record(0.12, poolOnly);
      const { row, text } = await report();
      expect(rules(row)).toEqual(['waits']);
      expect(row.wait).toMatchObject({ metric: 'db.client.connection.wait_time', count: 200, waited: 40, threshold: WAIT_MIN_SECONDS });
      expect(row.wait.p99).toBeCloseTo(0.1 + 0.02 * ((0.99 * 200 - 160) / 40), 9); // interpolated in the (0.1, 0.25] bucket, capped at the max recorded (0.12)
      expect(row.findings[0]).toEqual({
        rule: 'waits',
        verdict: 'uses waited for a connection (p99 120 ms, 40 of 200 over 10 ms)',
        fix: "raise the Pool's `max` (or hold clients for shorter)",
      });
      expect(text).toContain('pool wait p50');
    });

    test('undici requests queued for a connection → raise connections; a pool timeout alone is enough', async () => {
      const undici = setup(UNDICI);
      undici.connection(server, 100);
      for (let i = 0; i < 90; i++) undici.http.timeInQueue.record(0.00002, server);
      for (let i = 0; i < 10; i++) undici.http.timeInQueue.record(0.3, server);
      const row = (await undici.report()).row;
      expect(row.findings[0]?.verdict).toBe('uses waited for a connection (p99 300 ms, 10 of 100 over 10 ms)');
      expect(row.findings[0]?.fix).toBe('raise `connections` on the undici `Pool`/`Agent`');

      const pg = setup(PG);
      pg.connection(pool, 10);
      pg.db.timeouts.add(1, { 'db.client.connection.pool.name': 'orders' });
      expect(rules((await pg.report()).row)).toEqual(['waits']);
    });

    test('waiting for a new connection to be set up is no shortage: the threshold is 4 × the p99 of connecting', async () => {
      const { common, http, connection, report } = setup(UNDICI);
      connection(server, 10);
      for (let i = 0; i < 10; i++) common.connectDuration.record(0.02, server); // a far server: 20 ms connects
      for (let i = 0; i < 10; i++) http.timeInQueue.record(0.024, server); // waited for those connects
      const { row } = await report();
      expect(row.wait.threshold).toBe(0.1); // 4 × 20 ms, up to the next bucket boundary
      expect(row.wait.waited).toBe(0);
      expect(row.verdict).toBe('ok');
    });

    test('a checkout that opens a connection waits for its handshake: the threshold is 4 × the p99 of create_time', async () => {
      const { db, connection, report } = setup(PG);
      const poolOnly = { 'db.client.connection.pool.name': 'orders' };
      for (let i = 0; i < 10; i++) connection(pool, 1, { reason: 'client_closed' });
      for (let i = 0; i < 10; i++) db.createTime.record(0.04, poolOnly); // a far server: 40 ms handshakes
      for (let i = 0; i < 10; i++) db.waitTime.record(0.045, poolOnly); // each checkout waited for its new connection
      const { row } = await report();
      expect(row.wait.threshold).toBe(0.25); // 4 × 40 ms, up to the next bucket boundary
      expect(row.wait.waited).toBe(0);
      expect(rules(row)).toEqual(['no_reuse']);
    });

    test('fewer than 3 waits are chance: ok', async () => {
      const { http, connection, report } = setup(UNDICI);
      connection(server, 10);
      for (let i = 0; i < 8; i++) http.timeInQueue.record(0.00002, server);
      for (let i = 0; i < 2; i++) http.timeInQueue.record(0.3, server);
      expect((await report()).row.verdict).toBe('ok');
    });

    test('fewer than 5 % waited: ok', async () => {
      const { http, connection, report } = setup(UNDICI);
      connection(server, 100);
      for (let i = 0; i < 96; i++) http.timeInQueue.record(0.00002, server);
      for (let i = 0; i < 4; i++) http.timeInQueue.record(0.3, server);
      expect((await report()).row.verdict).toBe('ok');
    });
  });

  describe('connect_failures', () => {
    test('attempts that never became ready, by error.type', async () => {
      const { common, connection, report } = setup(UNDICI);
      connection(server, 10);
      common.failed.add(3, { ...server, 'error.type': 'ECONNREFUSED' });
      const { row } = await report();
      expect(row.findings).toEqual([
        { rule: 'connect_failures', verdict: '3 connection attempts failed (ECONNREFUSED)', fix: 'check the address, the server and the credentials; error.type says which failed' },
      ]);
    });
  });

  describe('the rows', () => {
    test('one row per client and server; percentiles of connect, TLS and DNS; healthy rows say ok', async () => {
      const { common, connection, report, provider } = setup(UNDICI);
      const other = { ...server, 'server.address': 'b.example.com' };
      connection(server, 50);
      connection(other, 20);
      for (const value of [0.001, 0.002, 0.003]) common.connectDuration.record(value, server);
      common.tlsHandshakeDuration.record(0.004, server);
      common.dnsLookupDuration.record(0.0005, { ...server, 'dns.question.name': 'api.example.com' });
      // another provider's scope (not connmetrics') is ignored
      provider.getMeter('app').createCounter('connmetrics.connection.created').add(5, server);
      const made = (await report()).report;
      expect(made.rows.map((row) => [row.target, row.uses, row.created, row.reused, row.verdict])).toEqual([
        ['api.example.com:443', 50, 1, 49, 'ok'],
        ['b.example.com:443', 20, 1, 19, 'ok'],
      ]);
      const row = made.rows[0]!;
      expect(row.connect.count).toBe(3);
      // Interpolated inside the bucket holding the rank, clamped to the min and max recorded.
      expect(row.connect.p50).toBeCloseTo(0.00175, 9);
      expect(row.connect.p99).toBeCloseTo(0.002985, 9);
      expect(row.tls).toEqual({ count: 1, p50: 0.004, p99: 0.004 });
      expect(row.dns).toEqual({ count: 1, p50: 0.0005, p99: 0.0005 });
    });

    test('no reader attached: an empty report that says why, never an exception', async () => {
      const reader = connectionReportReader();
      const made = await connectionReport({ readers: [reader] });
      expect(made.rows).toEqual([]);
      expect(made.notes).toEqual(['the report reader is not attached to a MeterProvider yet']);
      expect(formatConnectionReport(made)).toContain('note: the report reader is not attached');
    });

    test('what was recorded before its MeterProvider shut down stays in the report', async () => {
      const { connection, provider, report } = setup(UNDICI);
      connection(server, 7);
      await provider.shutdown();
      expect((await report()).row).toMatchObject({ uses: 7, created: 1, reused: 6 });
    });
  });
});
