// connmetrics demo: the same operations with and without connection reuse,
// for the global fetch, undici, https, axios, pg, postgres.js, mysql2, Redis
// (ioredis, node-redis) and gRPC, against
// loopback servers behind a proxy that adds network latency. Connection
// numbers come from the metrics the connmetrics instrumentations emit.
//
//   node demo.mjs [--operations 100] [--rtt 20] [--only fetch,pg]
//                 [--postgres auto|embedded] [--redis auto|spawn|off] [--json]
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { certs } from '@connmetrics/test-harness';
import { startMetrics, difference } from './lib/metrics.mjs';
import { startLatencyProxy } from './lib/latency-proxy.mjs';
import { progress } from './lib/progress.mjs';
import { printReport, printReuseReport, seconds } from './lib/report.mjs';

const USAGE = `usage: node demo.mjs [options]
  --operations N        operations per run (default 100)
  --rtt MS              round trip the latency proxy adds, in milliseconds (default 20)
  --only LIST           scenarios to run, comma-separated: fetch, undici, https, axios, pg,
                        postgres, mysql2, redis, node-redis, grpc
  --postgres MODE       auto (the PG* server when it answers, else embedded) or embedded (default auto)
  --redis MODE          auto (REDIS_URL or 127.0.0.1:6379, else redis-server from the PATH), spawn, or off (default auto)
  --json                also print the results as one line: RESULT {...}`;

function options() {
  const { values } = parseArgs({
    // `pnpm demo -- --rtt 5` passes the `--` through: ignore it.
    args: process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--')),
    options: {
      operations: { type: 'string', default: '100' },
      rtt: { type: 'string', default: '20' },
      only: { type: 'string' },
      postgres: { type: 'string', default: 'auto' },
      redis: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const operations = Number(values.operations);
  const rttMs = Number(values.rtt);
  if (values.help || !Number.isInteger(operations) || operations < 1 || !Number.isFinite(rttMs) || rttMs < 0 ||
      !['auto', 'embedded'].includes(values.postgres) || !['auto', 'spawn', 'off'].includes(values.redis)) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  return { ...values, operations, rttMs, only: values.only?.split(',').map((id) => id.trim()) };
}

async function main() {
  const settings = options();
  // The instrumentations first: pg, ioredis, mysql2, postgres.js and grpc-js are patched when loaded.
  const metrics = startMetrics();
  const { SCENARIOS } = await import('./lib/scenarios.mjs');
  const servers = await import('./lib/servers.mjs');
  const unknown = (settings.only ?? []).filter((id) => !SCENARIOS.some((scenario) => scenario.id === id));
  if (unknown.length > 0) {
    console.log(`unknown scenario ${unknown.join(', ')}\n${USAGE}`);
    process.exit(2);
  }
  const selected = SCENARIOS.filter((scenario) => !settings.only || settings.only.includes(scenario.id));
  const wanted = new Set(selected.map((scenario) => scenario.server));

  // The HTTPS server's certificate is signed by the test CA: trust it, in this process only.
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), certs.ca]);

  console.log(`connmetrics demo: ${settings.operations} operations per run, ${settings.rttMs} ms round trip`);
  const started = {};
  const unavailable = {};
  if (wanted.has('https')) started.https = await servers.startHttpsServer();
  if (wanted.has('grpc')) started.grpc = await servers.startGrpcServer();
  if (wanted.has('postgres')) {
    started.postgres = await servers.startPostgres(settings.postgres);
    console.log(`  PostgreSQL: ${started.postgres.description}`);
  }
  if (wanted.has('mysql')) {
    const mysql = await servers.startMysql();
    if (mysql.skipped) unavailable.mysql = mysql.skipped;
    else {
      started.mysql = mysql;
      console.log(`  MySQL: ${mysql.description}`);
    }
  }
  if (wanted.has('redis')) {
    const redis = await servers.startRedis(settings.redis);
    if (redis.skipped) unavailable.redis = redis.skipped;
    else {
      started.redis = redis;
      console.log(`  Redis: ${redis.description}`);
    }
  }

  const results = [];
  // Every proxy stays open until the end: a later proxy never gets an earlier one's port, so a
  // report row (keyed by host:port) belongs to one variant of one scenario only.
  const proxies = [];
  for (const scenario of selected) {
    if (unavailable[scenario.server]) {
      console.log(`  ${scenario.title}: skipped: ${unavailable[scenario.server]}`);
      results.push({ id: scenario.id, title: scenario.title, skipped: unavailable[scenario.server] });
      continue;
    }
    const server = started[scenario.server];
    // One proxy per variant: the reuse report then has a row for each.
    try {
      const measured = {};
      for (const variant of ['without', 'with']) {
        const proxy = await startLatencyProxy(server.target, settings.rttMs);
        proxies.push(proxy);
        const address = { host: proxy.host, port: proxy.port, origin: `https://${proxy.host}:${proxy.port}`, login: server.login };
        const bar = progress(`${scenario.title}, ${variant} reuse`.padEnd(34), settings.operations);
        const before = await metrics.totals(proxy.port);
        const start = performance.now();
        await scenario[variant].run(address, settings.operations, () => bar.tick());
        const wallMs = performance.now() - start;
        // Let closes and last events land before reading.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const counted = difference(await metrics.totals(proxy.port), before);
        measured[variant] = { how: scenario[variant].how, wallMs, ...counted, port: proxy.port };
        bar.finish(`${seconds(wallMs)}, ${counted.created} created, ${counted.reused} reused`);
      }
      // The report right after the scenario, before its proxies close the connections still open.
      for (const variant of ['without', 'with']) measured[variant].report = await metrics.reportRows(measured[variant].port);
      results.push({ id: scenario.id, title: scenario.title, ...measured });
    } catch (error) {
      console.log(`\n  ${scenario.title}: failed: ${error.stack ?? error}`);
      results.push({ id: scenario.id, title: scenario.title, error: String(error.message ?? error) });
    }
  }
  for (const proxy of proxies) await proxy.close();

  printReport({ operations: settings.operations, rttMs: settings.rttMs, results });
  printReuseReport(results);
  if (settings.json) console.log(`RESULT ${JSON.stringify({ operations: settings.operations, rttMs: settings.rttMs, results })}`);

  for (const server of Object.values(started)) await server.close();
  await metrics.shutdown();
  if (results.some((result) => result.error)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
