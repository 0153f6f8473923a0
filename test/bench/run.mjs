// The overhead benchmark: connmetrics against no instrumentation and against
// the upstream OpenTelemetry instrumentations, per scenario, modes interleaved
// in rounds. `pnpm bench` (full) or `pnpm bench --quick` (CI: proves the
// harness runs; its numbers mean nothing). See README.md.
//
// Options: --quick, --rounds N, --round-ms N, --warmup-ms N, --concurrency N,
//          --scenarios a,b  --modes off,connmetrics,...  --out DIR
//          --experiment FILE (a module the `experiment` mode applies after installing connmetrics; see worker.mjs)
//          --no-pin (do not pin the workers and the HTTP server to CPU 0)
import { fork, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MODES } from './modes.mjs';
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

const preset = args.quick ? { rounds: 3, roundMs: 150, warmupMs: 150 } : { rounds: 20, roundMs: 500, warmupMs: 1500 };
const config = {
  quick: args.quick,
  rounds: Number(args.rounds ?? preset.rounds),
  roundMs: Number(args['round-ms'] ?? preset.roundMs),
  warmupMs: Number(args['warmup-ms'] ?? preset.warmupMs),
  concurrency: Number(args.concurrency ?? 8),
  scenarios: args.scenarios ? args.scenarios.split(',') : SCENARIO_NAMES,
  modes: args.modes ? args.modes.split(',') : MODES,
  experiment: args.experiment ? resolve(args.experiment) : undefined,
  pinned: args.pin && canPin(),
};
const outDirectory = args.out ?? join(here, 'results');
const knownModes = config.experiment ? [...MODES, 'experiment'] : MODES;
for (const mode of config.modes) if (!knownModes.includes(mode)) throw new Error(`unknown mode ${mode}; known: ${knownModes.join(', ')}`);
if (config.modes[0] !== 'off' && config.modes.includes('off')) config.modes = ['off', ...config.modes.filter((m) => m !== 'off')];
const scenarios = config.scenarios.map(scenarioByName);
const protocols = [...new Set(scenarios.map((scenario) => scenario.protocol))];

/**
 * Whether processes can be pinned to a CPU: Linux with taskset and at least two
 * CPUs. Pinned, every worker and the HTTP server run on CPU 0 (one worker runs
 * at a time), so that no worker is favoured by where the scheduler happens to
 * put it, and no request pays a wake-up across CPUs (costly in a VM); the
 * other CPUs are left to PostgreSQL, Redis and whatever else runs.
 */
function canPin() {
  if (process.platform !== 'linux' || cpus().length < 2) return false;
  return spawnSync('taskset', ['-c', '0', process.execPath, '-e', '0']).status === 0;
}

/** A forked process answering { id, cmd } messages with { id, ok, result | error }. */
class Child {
  constructor(script, argv, name, cpu) {
    this.name = name;
    this.pending = new Map();
    this.nextId = 1;
    const pinning = cpu === undefined ? {} : { execPath: 'taskset', execArgv: ['-c', String(cpu), process.execPath] };
    this.process = fork(script, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...pinning });
    this.first = new Promise((resolve, reject) => {
      this.process.once('message', resolve);
      this.process.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready`)));
    });
    this.process.on('message', (message) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      clearTimeout(waiter.timer);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
    this.process.on('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited with code ${code}`));
      this.pending.clear();
    });
  }

  call(cmd, payload = {}, timeoutMs = 120_000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.process.send({ id, cmd, ...payload });
    });
  }

  stop() {
    if (this.process.connected) this.process.disconnect();
  }
}

function versionOf(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return 'not installed';
  }
}

const VERSIONED = {
  undici: ['undici', '@connmetrics/instrumentation-undici', '@opentelemetry/instrumentation-undici'],
  http: ['@connmetrics/instrumentation-http', '@opentelemetry/instrumentation-http'],
  pg: ['pg', '@connmetrics/instrumentation-pg', '@opentelemetry/instrumentation-pg'],
  ioredis: ['ioredis', '@connmetrics/instrumentation-ioredis', '@opentelemetry/instrumentation-ioredis'],
};

async function main() {
  const postgres = harness.postgresAddress();
  const redis = harness.redisAddress();
  if (protocols.includes('pg')) await harness.requireReachable('PostgreSQL', postgres.host, postgres.port);
  if (protocols.includes('ioredis')) await harness.requireReachable('Redis', redis.host, redis.port);

  const children = [];
  const stopAll = () => children.forEach((child) => child.stop());
  process.on('exit', stopAll);
  try {
    const server = new Child(join(here, 'server.mjs'), [], 'server', config.pinned ? 0 : undefined);
    children.push(server);
    const { ports } = await server.first;

    const workers = {};
    for (const mode of config.modes) {
      const argv = [mode, protocols.join(','), ...(config.experiment ? [config.experiment] : [])];
      workers[mode] = new Child(join(here, 'worker.mjs'), argv, `worker ${mode}`, config.pinned ? 0 : undefined);
      children.push(workers[mode]);
    }
    const ready = {};
    for (const mode of config.modes) ready[mode] = await workers[mode].first;

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
    const context = { ports, postgres: { host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: postgres.database }, redis };

    for (const scenario of scenarios) {
      console.log(`\n${scenario.title} (${scenario.name})`);
      const rounds = Object.fromEntries(config.modes.map((mode) => [mode, []]));
      for (const mode of config.modes) {
        await workers[mode].call('setup', { scenario: scenario.name, concurrency: config.concurrency, warmupMs: config.warmupMs, context });
      }
      for (let round = 0; round < config.rounds; round++) {
        const order = config.modes.map((_, index) => config.modes[(index + round) % config.modes.length]);
        for (const mode of order) {
          rounds[mode].push(await workers[mode].call('round', { durationMs: config.roundMs }));
        }
        process.stdout.write(`  round ${round + 1}/${config.rounds}: ${config.modes.map((mode) => `${mode} ${Math.round(rounds[mode].at(-1).opsPerSec)}`).join(', ')} ops/s\n`);
      }
      const totals = {};
      for (const mode of config.modes) totals[mode] = await workers[mode].call('teardown');
      run.scenarios.push({ name: scenario.name, title: scenario.title, protocol: scenario.protocol, summary: summarise(rounds), totals, rounds });
    }
    run.finishedAt = new Date().toISOString();
    run.workers = ready;
    const files = writeResults(run, outDirectory);
    console.log(`\n${markdownTable(run)}\n\nWrote ${files.json} and ${files.markdown}`);
  } finally {
    stopAll();
  }
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exitCode = 1;
});
