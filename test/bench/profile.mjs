// Profiles the hot path: runs one benchmark worker for a scenario, profiles
// one measured round with V8's CPU profiler (the one behind --cpu-prof) or its
// sampling heap profiler (allocations, collected ones included), and prints
// where the time or the bytes went, grouped by who owns the code, with the top
// functions of connmetrics and of what connmetrics calls.
// `pnpm bench:profile --scenario http-agent [--heap]`.
//
// Options: --scenario NAME (undici-pool), --mode MODE (connmetrics),
//          --seconds N (8), --heap (allocation sampling instead of CPU), --out DIR
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { scenarioByName } from './scenarios.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const harness = require('@connmetrics/test-harness');

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'undici-pool' },
    mode: { type: 'string', default: 'connmetrics' },
    seconds: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '8' },
    heap: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

/** Who owns a frame: connmetrics, the OTel SDK/API, the instrumented library, Node, or V8. */
export function ownerOf(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(root)') return functionName.slice(1, -1);
    return 'native';
  }
  if (/\/packages\/core\//.test(url)) return 'connmetrics core';
  const own = /\/packages\/(instrumentation-[a-z0-9]+)\//.exec(url);
  if (own) return `connmetrics ${own[1]}`;
  const otel = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(@opentelemetry\/[a-z0-9-]+)/.exec(url);
  if (otel) return otel[1];
  const library = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (library) return library[1];
  if (url.startsWith('node:')) return /^node:internal\/deps\/undici/.test(url) ? 'node (bundled undici)' : 'node';
  if (url.includes('/test/bench/')) return 'bench harness';
  return 'other';
}

const isConnmetrics = (owner) => owner.startsWith('connmetrics');
const isTransparent = (owner) => owner.startsWith('@opentelemetry/') || owner === 'native' || owner === 'node';

function frameName(frame) {
  const file = frame.url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

/**
 * Reads a .cpuprofile or .heapprofile into per-node weights (µs of samples or
 * bytes allocated) with parent links, in one shape for both.
 */
function loadProfile(path, heap) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const nodes = new Map();
  if (heap) {
    const visit = (node, parent) => {
      nodes.set(node.id, { frame: node.callFrame, parent, weight: node.selfSize });
      for (const child of node.children ?? []) visit(child, node.id);
    };
    visit(profile.head, undefined);
  } else {
    for (const node of profile.nodes) nodes.set(node.id, { frame: node.callFrame, parent: undefined, weight: 0 });
    for (const node of profile.nodes) for (const child of node.children ?? []) nodes.get(child).parent = node.id;
    profile.samples.forEach((id, index) => (nodes.get(id).weight += profile.timeDeltas[index] ?? 0));
  }
  return nodes;
}

function analyse(path, heap) {
  const nodes = loadProfile(path, heap);
  const byOwner = new Map();
  const connmetricsSelf = new Map();
  const allSelf = new Map();
  const underConnmetrics = new Map(); // self weight of frames below a connmetrics frame, by function
  let total = 0;
  let busy = 0;
  let inclusiveConnmetrics = 0;
  for (const node of nodes.values()) {
    if (node.weight === 0) continue;
    const owner = ownerOf(node.frame.url, node.frame.functionName);
    total += node.weight;
    if (owner !== 'idle') busy += node.weight;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + node.weight);
    if (owner !== 'idle') {
      const key = `${owner}: ${frameName(node.frame)}`;
      allSelf.set(key, (allSelf.get(key) ?? 0) + node.weight);
    }
    if (isConnmetrics(owner)) {
      connmetricsSelf.set(frameName(node.frame), (connmetricsSelf.get(frameName(node.frame)) ?? 0) + node.weight);
    }
    // Whose cost is it? The nearest frame (itself or an ancestor) that belongs to
    // connmetrics or to a library or the application decides; the OTel SDK and
    // API, Node's internals and native frames are transparent (they count for
    // whoever called them). So a library function that connmetrics wraps stays
    // the library's, and the SDK work connmetrics asks for is connmetrics'.
    let cursor = node;
    while (cursor && isTransparent(ownerOf(cursor.frame.url, cursor.frame.functionName))) cursor = nodes.get(cursor.parent);
    if (cursor && isConnmetrics(ownerOf(cursor.frame.url, cursor.frame.functionName))) {
      inclusiveConnmetrics += node.weight;
      if (!isConnmetrics(owner)) {
        const key = `${owner}: ${frameName(node.frame)}`;
        underConnmetrics.set(key, (underConnmetrics.get(key) ?? 0) + node.weight);
      }
    }
  }
  return { total, busy, byOwner, allSelf, connmetricsSelf, underConnmetrics, inclusiveConnmetrics };
}

function top(map, count, unit, base, ops) {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([name, weight]) =>
        `  ${format(weight, unit).padStart(10)}  ${((weight / base) * 100).toFixed(2).padStart(6)} %  ${perOp(weight, unit, ops).padStart(12)}  ${name}`,
    )
    .join('\n');
}

function format(weight, unit) {
  return unit === 'bytes' ? `${(weight / 1024).toFixed(0)} KiB` : `${(weight / 1000).toFixed(1)} ms`;
}

function perOp(weight, unit, ops) {
  return unit === 'bytes' ? `${(weight / ops).toFixed(0)} B/op` : `${(weight / ops).toFixed(3)} µs/op`;
}

async function main() {
  const scenario = scenarioByName(args.scenario);
  const outDirectory = args.out ?? join(here, 'results', 'profiles', `${args.scenario}-${args.mode}-${args.heap ? 'heap' : 'cpu'}-${Date.now()}`);
  mkdirSync(outDirectory, { recursive: true });
  const postgres = harness.postgresAddress();
  const redis = harness.redisAddress();
  const mysql = harness.mysqlAddress();

  const server = fork(join(here, 'server.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { ports } = await new Promise((resolve) => server.once('message', resolve));
  const worker = fork(join(here, 'worker.mjs'), [args.mode, scenario.protocol], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replies = new Map();
  worker.on('message', (message) => replies.get(message.id)?.(message));
  let nextId = 1;
  const call = (cmd, payload) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      replies.set(id, (message) => (message.ok ? resolve(message.result) : reject(new Error(message.error))));
      worker.send({ id, cmd, ...payload });
    });
  await new Promise((resolve) => worker.once('message', resolve)); // ready
  const concurrency = Number(args.concurrency);
  await call('setup', {
    scenario: scenario.name,
    concurrency,
    warmupMs: 1000,
    context: { ports, postgres, redis, mysql },
  });
  const profilePath = join(outDirectory, `${scenario.name}-${args.mode}.${args.heap ? 'heapprofile' : 'cpuprofile'}`);
  const result = await call('round', { durationMs: Number(args.seconds) * 1000, profile: args.heap ? 'heap' : 'cpu', profilePath });
  await call('teardown', {});
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.disconnect();
  await exited;
  server.disconnect();

  const unit = args.heap ? 'bytes' : 'µs';
  const analysis = analyse(profilePath, args.heap);
  const base = args.heap ? analysis.total : analysis.busy;
  console.log(`${scenario.title}, mode ${args.mode}: ${result.ops} ops in the measured round, ${Math.round(result.opsPerSec)} ops/s`);
  console.log(`profile: ${profilePath}`);
  console.log(`\n${args.heap ? 'allocated' : 'busy time'} by owner (share of ${args.heap ? 'all sampled allocations' : 'non-idle samples'}):`);
  const ops = result.ops;
  console.log(top(analysis.byOwner, 20, unit, base, ops));
  console.log(
    `\ninside connmetrics hooks (connmetrics frames and everything they call): ${format(analysis.inclusiveConnmetrics, unit)}, ` +
      `${((analysis.inclusiveConnmetrics / base) * 100).toFixed(2)} %, ${perOp(analysis.inclusiveConnmetrics, unit, ops)}`,
  );
  console.log('\nconnmetrics functions, self:');
  console.log(top(analysis.connmetricsSelf, 15, unit, base, ops));
  console.log('\ncalled from connmetrics, self:');
  console.log(top(analysis.underConnmetrics, 15, unit, base, ops));
  console.log('\ntop functions overall, self:');
  console.log(top(analysis.allSelf, 25, unit, base, ops));
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exitCode = 1;
});
