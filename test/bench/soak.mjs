// The soak: a million uses over churned connections (a new connection every
// 10 uses) across the protocols, with the connmetrics instrumentations and a
// MeterProvider collected every few seconds, as an exporter would. Checks that
// nothing grows: heap used after GC at the end against after the warm-up
// (goal: within 2 MiB), listener counts on the long-lived clients, and the
// instrumentations' Maps and Sets; after every client is closed, no connection
// is left in any tracker. Needs --expose-gc. `pnpm bench:soak [--quick]`.
//
// Options: --quick (100,000 uses), --uses N, --mode connmetrics|off, --out DIR
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installMode } from './modes.mjs';
import { collectionSizes, heapUsedAfterGc, listenerTotal, socketPhaseSizes } from './probes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const harness = require('@connmetrics/test-harness');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    uses: { type: 'string' },
    mode: { type: 'string', default: 'connmetrics' },
    out: { type: 'string' },
  },
});
if (typeof globalThis.gc !== 'function') {
  console.error('soak.mjs needs --expose-gc (pnpm bench:soak passes it)');
  process.exit(2);
}

const TOTAL_USES = Number(args.uses ?? (args.quick ? 100_000 : 1_000_000));
const WARMUP_SHARE = 0.1;
const HEAP_GROWTH_LIMIT = 2 * 1024 * 1024;
const USES_PER_CONNECTION = 10;
const CONCURRENCY = 4;
/** Each workload's share of the uses. */
const SHARES = { undici: 0.25, fetch: 0.1, http: 0.25, pg: 0.15, ioredis: 0.25 };
const PROTOCOLS = ['undici', 'http', 'pg', 'ioredis'];

// Installed before any client library is required.
const installed = installMode(args.mode, PROTOCOLS);
if (installed.failures.length > 0) {
  for (const failure of installed.failures) console.error(`${failure.packageName} did not load: ${failure.error}`);
  process.exit(1);
}

/** Starts the loopback HTTP server process; its `every10` port closes each connection after 10 requests. */
async function startServer() {
  const child = fork(join(here, 'server.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { ports } = await new Promise((resolve) => child.once('message', resolve));
  return {
    ports,
    destroyConnections: () =>
      new Promise((resolve) => {
        child.once('message', resolve);
        child.send({ cmd: 'destroyConnections' });
      }),
    stop: () => child.disconnect(),
  };
}

/** GET / through node:http; resolves when the body has been read. */
function httpGet(http, agent, port) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
      response.on('error', reject);
      response.on('end', resolve);
      response.resume();
    });
    request.on('error', reject);
    request.end();
  });
}

/**
 * The workloads. Each `run(uses)` performs that many uses with CONCURRENCY
 * callers; `longLived` are the objects whose listeners must not grow;
 * `openConnections()` is what the client itself reports as open.
 */
function createWorkloads(ports) {
  const undici = require('undici');
  const http = require('http');
  const { Pool: PgPool } = require('pg');
  const Redis = require('ioredis');
  const postgres = harness.postgresAddress();
  const redis = harness.redisAddress();
  const origin = `http://127.0.0.1:${ports.every10}`;

  const undiciPool = new undici.Pool(origin, { connections: CONCURRENCY });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const pgPool = new PgPool({ ...postgres, max: CONCURRENCY, maxUses: USES_PER_CONNECTION });
  pgPool.on('error', () => {});
  const redisKey = `connmetrics:soak:${process.pid}`;

  const loops = (uses, op) => {
    let remaining = uses;
    const loop = async () => {
      while (remaining > 0) {
        remaining -= 1;
        await op();
      }
    };
    return Promise.all(Array.from({ length: CONCURRENCY }, loop));
  };

  return {
    undici: {
      run: (uses) =>
        loops(uses, async () => {
          const { body } = await undiciPool.request({ path: '/', method: 'GET' });
          await body.text();
        }),
      longLived: { undiciPool },
      close: () => undiciPool.close(),
    },
    fetch: {
      run: (uses) =>
        loops(uses, async () => {
          const response = await fetch(`${origin}/`);
          await response.text();
        }),
      longLived: {},
      close: async () => {},
    },
    http: {
      run: (uses) => loops(uses, () => httpGet(http, agent, ports.every10)),
      longLived: { httpAgent: agent },
      close: async () => agent.destroy(),
    },
    pg: {
      run: (uses) => loops(uses, () => pgPool.query('SELECT 1')),
      longLived: { pgPool },
      close: () => pgPool.end(),
    },
    ioredis: {
      // A new client every 10 commands: connect, 10 GETs, quit.
      run: (uses) => {
        let remaining = uses;
        const loop = async () => {
          while (remaining > 0) {
            const batch = Math.min(USES_PER_CONNECTION, remaining);
            remaining -= batch;
            const client = new Redis({ host: redis.host, port: redis.port, lazyConnect: true, maxRetriesPerRequest: 0 });
            await client.connect();
            for (let i = 0; i < batch; i++) await client.get(redisKey);
            await client.quit();
          }
        };
        return Promise.all(Array.from({ length: CONCURRENCY }, loop));
      },
      longLived: {},
      close: async () => {},
    },
  };
}

function probe(workloads) {
  const sizes = {};
  for (const [protocol, byFamily] of Object.entries(installed.instrumentations)) {
    for (const instrumentation of Object.values(byFamily)) Object.assign(sizes, collectionSizes(instrumentation, protocol));
  }
  Object.assign(sizes, socketPhaseSizes());
  const listeners = { process: listenerTotal(process) };
  for (const workload of Object.values(workloads)) {
    for (const [name, emitter] of Object.entries(workload.longLived)) listeners[name] = listenerTotal(emitter);
  }
  return { sizes, listeners };
}

async function checkpoint(name, workloads) {
  await installed.totals(); // an export, as a periodic reader would do
  const heapUsed = await heapUsedAfterGc();
  const point = { name, at: performance.now(), heapUsed, ...probe(workloads) };
  console.log(`${name}: heap used after GC ${(heapUsed / 2 ** 20).toFixed(2)} MiB`);
  return point;
}

/** Runs every workload's part of a share of the uses, concurrently; returns the elapsed ms and each workload's. */
async function runShare(workloads, share) {
  const started = performance.now();
  const each = {};
  await Promise.all(
    Object.entries(SHARES).map(async ([name, weight]) => {
      await workloads[name].run(Math.round(TOTAL_USES * weight * share));
      each[name] = Math.round((performance.now() - started) / 100) / 10;
    }),
  );
  console.log(`  seconds per workload: ${JSON.stringify(each)}`);
  return performance.now() - started;
}

function compare(before, after) {
  const rows = [];
  for (const kind of ['listeners', 'sizes']) {
    const names = new Set([...Object.keys(before[kind]), ...Object.keys(after[kind])]);
    for (const name of names) rows.push({ kind, name, before: before[kind][name], after: after[kind][name] });
  }
  return rows;
}

async function main() {
  const redis = harness.redisAddress();
  const postgres = harness.postgresAddress();
  await harness.requireReachable('PostgreSQL', postgres.host, postgres.port);
  await harness.requireReachable('Redis', redis.host, redis.port);
  const server = await startServer();
  const exporter = setInterval(() => installed.totals().catch(() => {}), 2000);
  try {
    const workloads = createWorkloads(server.ports);
    const totalsBefore = await installed.totals();
    console.log(`soak: ${TOTAL_USES.toLocaleString('en-US')} uses, a new connection every ${USES_PER_CONNECTION}, mode ${args.mode}, Node ${process.version}`);
    const warmupMs = await runShare(workloads, WARMUP_SHARE);
    const warm = await checkpoint(`after warm-up (${Math.round(TOTAL_USES * WARMUP_SHARE).toLocaleString('en-US')} uses, ${(warmupMs / 1000).toFixed(1)} s)`, workloads);
    const mainMs = await runShare(workloads, 1 - WARMUP_SHARE);
    const end = await checkpoint(`end (${TOTAL_USES.toLocaleString('en-US')} uses, ${((warmupMs + mainMs) / 1000).toFixed(1)} s)`, workloads);

    // Close everything; the server drops what the HTTP clients keep idle.
    for (const workload of Object.values(workloads)) await workload.close();
    await server.destroyConnections();
    await harness
      .waitFor(
        () => Object.entries(probe(workloads).sizes).every(([name, size]) => !name.endsWith('.open()') || size === 0),
        'every tracker empty',
        10_000,
      )
      .catch(() => {}); // reported below
    await installed.totals(); // twice: an emptied series is reported as 0 once, then dropped
    const closed = await checkpoint('after closing every client', workloads);

    const totalsAfter = await installed.totals();
    const recorded = {};
    for (const name of ['connmetrics.connection.created', 'connmetrics.connection.reused', 'connmetrics.connection.failed']) {
      recorded[name] = (totalsAfter[name] ?? 0) - (totalsBefore[name] ?? 0);
    }
    const growth = end.heapUsed - warm.heapUsed;
    const rows = compare(warm, end);
    const listenerGrowth = rows.filter((row) => row.kind === 'listeners' && row.after !== row.before);
    const leftOpen = Object.entries(closed.sizes).filter(([name, size]) => name.endsWith('.open()') && size !== 0);
    const result = {
      startedAt: new Date(Date.now() - performance.now()).toISOString(),
      node: process.version,
      mode: args.mode,
      uses: TOTAL_USES,
      usesPerConnection: USES_PER_CONNECTION,
      shares: SHARES,
      durationSeconds: (warmupMs + mainMs) / 1000,
      heapGrowthBytes: growth,
      heapGrowthLimitBytes: HEAP_GROWTH_LIMIT,
      recorded,
      checkpoints: [warm, end, closed],
      pass: { heap: growth <= HEAP_GROWTH_LIMIT, listeners: listenerGrowth.length === 0, trackersEmptyAfterClose: leftOpen.length === 0 },
    };
    const outDirectory = args.out ?? join(here, 'results');
    mkdirSync(outDirectory, { recursive: true });
    writeFileSync(join(outDirectory, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
    const markdown = soakMarkdown(result, rows, closed);
    writeFileSync(join(outDirectory, 'soak.md'), markdown);
    console.log(`\n${markdown}\nWrote ${join(outDirectory, 'soak.json')} and ${join(outDirectory, 'soak.md')}`);
    if (!Object.values(result.pass).every(Boolean)) process.exitCode = 1;
  } finally {
    clearInterval(exporter);
    server.stop();
  }
}

function soakMarkdown(result, rows, closed) {
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
  const [warm, end] = result.checkpoints;
  const lines = [
    `Soak, ${result.startedAt}, Node ${result.node}, mode ${result.mode}: ${result.uses.toLocaleString('en-US')} uses ` +
      `(a new connection every ${result.usesPerConnection}) in ${result.durationSeconds.toFixed(1)} s.`,
    '',
    `- heap used after GC: ${mib(warm.heapUsed)} after warm-up, ${mib(end.heapUsed)} at the end: ` +
      `${result.heapGrowthBytes >= 0 ? '+' : '−'}${mib(Math.abs(result.heapGrowthBytes))} (limit ${mib(result.heapGrowthLimitBytes)}) — ${result.pass.heap ? 'pass' : 'FAIL'}`,
    `- listeners on long-lived objects unchanged — ${result.pass.listeners ? 'pass' : 'FAIL'}`,
    `- no connection left in any tracker after every client closed — ${result.pass.trackersEmptyAfterClose ? 'pass' : 'FAIL'}`,
    `- recorded: ${Object.entries(result.recorded)
      .map(([name, value]) => `${name} ${value.toLocaleString('en-US')}`)
      .join(', ')}`,
    '',
    '| what | after warm-up | end | after close |',
    '|---|--:|--:|--:|',
    ...rows.map((row) => `| ${row.kind}: \`${row.name}\` | ${row.before ?? '—'} | ${row.after ?? '—'} | ${closed[row.kind][row.name] ?? '—'} |`),
    '',
  ];
  return lines.join('\n');
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exitCode = 1;
});
