// The overhead benchmark: connmetrics against no instrumentation and against
// the upstream OpenTelemetry instrumentations, per scenario, the modes
// interleaved in rounds. `pnpm bench` (full, about 6 minutes) or
// `pnpm bench --quick` (CI: proves the harness runs; its numbers mean nothing).
// See README.md for the method.
//
// Options: --quick, --rounds N, --generations N, --round-ms N, --warmup-ms N,
//          --concurrency N, --scenarios a,b, --modes off,connmetrics,..., --out DIR,
//          --no-pin (do not pin the workers and the HTTP server to CPU 0),
//          --experiment FILE (what the `experiment` mode applies; see worker.mjs)
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Child, canPin } from './child.mjs';
import { KNOWN_MODES, MODES } from './modes.mjs';
import { markdownTable, writeResults } from './report.mjs';
import { SCENARIO_NAMES, scenarioByName } from './scenarios.mjs';
import { summarise } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const harness = require('@connmetrics/test-harness');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    generations: { type: 'string' },
    'round-ms': { type: 'string' },
    'warmup-ms': { type: 'string' },
    concurrency: { type: 'string' },
    scenarios: { type: 'string' },
    modes: { type: 'string' },
    out: { type: 'string' },
    experiment: { type: 'string' },
    pin: { type: 'boolean', default: true },
  },
  allowNegative: true,
});

const preset = args.quick
  ? { rounds: 3, generations: 1, roundMs: 150, warmupMs: 150 }
  : { rounds: 20, generations: 4, roundMs: 500, warmupMs: 1000 };
const config = {
  quick: args.quick,
  rounds: Number(args.rounds ?? preset.rounds),
  generations: Number(args.generations ?? preset.generations),
  roundMs: Number(args['round-ms'] ?? preset.roundMs),
  warmupMs: Number(args['warmup-ms'] ?? preset.warmupMs),
  concurrency: Number(args.concurrency ?? 8),
  scenarios: args.scenarios ? args.scenarios.split(',') : SCENARIO_NAMES,
  modes: args.modes ? args.modes.split(',') : MODES,
  experiment: args.experiment ? resolve(args.experiment) : undefined,
  // Pinned, every worker and the HTTP server run on CPU 0 (one worker runs at
  // a time): no worker is favoured by where the scheduler puts it, and no
  // request pays a wake-up across CPUs (costly in a VM). The other CPUs are
  // left to PostgreSQL, Redis and whatever else runs.
  pinned: args.pin && canPin(),
};
const outDirectory = args.out ?? join(here, 'results');
const knownModes = config.experiment ? [...KNOWN_MODES, 'experiment'] : KNOWN_MODES;
for (const mode of config.modes) if (!knownModes.includes(mode)) throw new Error(`unknown mode ${mode}; known: ${knownModes.join(', ')}`);
if (!config.modes.includes('off')) throw new Error('the modes must include off: overheads are measured against it');
config.modes = ['off', ...config.modes.filter((mode) => mode !== 'off')];
if (config.rounds < config.generations) config.generations = config.rounds;
const scenarios = config.scenarios.map(scenarioByName);
const protocols = [...new Set(scenarios.map((scenario) => scenario.protocol))];
const cpu = config.pinned ? 0 : undefined;

const VERSIONED = {
  undici: ['undici', '@connmetrics/instrumentation-undici', '@opentelemetry/instrumentation-undici'],
  http: ['@connmetrics/instrumentation-http', '@opentelemetry/instrumentation-http'],
  pg: ['pg', '@connmetrics/instrumentation-pg', '@opentelemetry/instrumentation-pg'],
  ioredis: ['ioredis', '@connmetrics/instrumentation-ioredis', '@opentelemetry/instrumentation-ioredis'],
  mysql2: ['mysql2', '@connmetrics/instrumentation-mysql2', '@opentelemetry/instrumentation-mysql2'],
  redis: ['redis', '@connmetrics/instrumentation-redis', '@opentelemetry/instrumentation-redis'],
  postgres: ['postgres', '@connmetrics/instrumentation-postgres'], // no upstream instrumentation of postgres.js
};

/** A package's version, from the package.json above its entry point (some packages export no ./package.json). */
function versionOf(name) {
  try {
    let directory = dirname(require.resolve(name));
    for (;;) {
      const manifest = join(directory, 'package.json');
      if (existsSync(manifest)) {
        const { name: found, version } = JSON.parse(readFileSync(manifest, 'utf8'));
        if (found === name) return version;
      }
      const parent = dirname(directory);
      if (parent === directory) return 'unknown';
      directory = parent;
    }
  } catch {
    return 'not installed';
  }
}

/** Rounds `from`..`to` (exclusive) of a scenario with one fresh worker per mode; appends to `rounds` and `totals`. */
async function runGeneration(scenario, generation, from, to, context, rounds, totals, live) {
  const workers = {};
  for (const mode of config.modes) {
    const argv = [mode, protocols.join(','), ...(config.experiment ? [config.experiment] : [])];
    workers[mode] = new Child(join(here, 'worker.mjs'), argv, { name: `worker ${mode}`, cpu });
    live.add(workers[mode]);
  }
  try {
    const ready = {};
    for (const mode of config.modes) ready[mode] = await workers[mode].ready;
    for (const mode of config.modes) {
      await workers[mode].call('setup', { scenario: scenario.name, concurrency: config.concurrency, warmupMs: config.warmupMs, context });
    }
    for (let round = from; round < to; round++) {
      // A B C D, then B C D A, ...: every mode runs in every position equally often.
      const order = config.modes.map((_, index) => config.modes[(index + round) % config.modes.length]);
      for (const mode of order) rounds[mode].push({ ...(await workers[mode].call('round', { durationMs: config.roundMs })), generation });
      const line = config.modes.map((mode) => `${mode} ${Math.round(rounds[mode].at(-1).opsPerSec)}`).join(', ');
      console.log(`  round ${round + 1}/${config.rounds} (process generation ${generation + 1}): ${line} ops/s`);
    }
    for (const mode of config.modes) {
      const { ops, recorded } = await workers[mode].call('teardown');
      const total = (totals[mode] ??= { ops: 0, recorded: {} });
      total.ops += ops;
      for (const [name, value] of Object.entries(recorded)) total.recorded[name] = (total.recorded[name] ?? 0) + value;
    }
    return ready;
  } finally {
    for (const worker of Object.values(workers)) {
      await worker.stop();
      live.delete(worker);
    }
  }
}

async function main() {
  const postgres = harness.postgresAddress();
  const redis = harness.redisAddress();
  if (protocols.includes('pg') || protocols.includes('postgres')) await harness.requireReachable('PostgreSQL', postgres.host, postgres.port);
  if (protocols.includes('ioredis') || protocols.includes('redis')) await harness.requireReachable('Redis', redis.host, redis.port);
  const mysql = harness.mysqlAddress();
  if (protocols.includes('mysql2')) await harness.requireReachable('MySQL/MariaDB', mysql.host, mysql.port);

  const live = new Set();
  process.on('exit', () => live.forEach((child) => child.process.kill()));
  const server = new Child(join(here, 'server.mjs'), [], { name: 'server', cpu });
  live.add(server);
  try {
    const { ports } = await server.ready;
    const run = {
      startedAt: new Date().toISOString(),
      config,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        platform: `${process.platform} ${process.arch}`,
        node: process.version,
        loadAverage: loadavg().map((load) => load.toFixed(2)),
      },
      versions: Object.fromEntries(
        [...new Set(['@opentelemetry/sdk-metrics', ...protocols.flatMap((protocol) => VERSIONED[protocol])])].map((name) => [name, versionOf(name)]),
      ),
      scenarios: [],
    };
    const context = { ports, postgres, redis, mysql };
    for (const scenario of scenarios) {
      console.log(`\n${scenario.title} (${scenario.name})`);
      const rounds = Object.fromEntries(config.modes.map((mode) => [mode, []]));
      const totals = {};
      for (let generation = 0; generation < config.generations; generation++) {
        const from = Math.round((generation * config.rounds) / config.generations);
        const to = Math.round(((generation + 1) * config.rounds) / config.generations);
        const ready = await runGeneration(scenario, generation, from, to, context, rounds, totals, live);
        run.workers ??= ready; // what each mode loaded, as the first workers reported it
      }
      run.scenarios.push({ name: scenario.name, title: scenario.title, protocol: scenario.protocol, summary: summarise(rounds), totals, rounds });
    }
    run.finishedAt = new Date().toISOString();
    const files = writeResults(run, outDirectory);
    console.log(`\n${markdownTable(run)}\n\nWrote ${files.json} and ${files.markdown}`);
  } finally {
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exitCode = 1;
});
