// A benchmark worker: one process per mode, kept alive for the whole run and
// driven round by round by run.mjs over IPC, so that the modes are measured
// interleaved in the same run.
// Usage (by fork): worker.mjs <mode> <protocols,...> [experiment module]
// In the `experiment` mode (run.mjs --experiment FILE --modes off,connmetrics,experiment)
// the module is imported after connmetrics is installed and its default export
// called with the instrumentations: a way to measure a change to connmetrics'
// hot path (a method replaced at run time) against the unchanged code, in the
// same run, without editing the packages.
//
// Commands (each answered with { id, ok, result } or { id, ok: false, error }):
//   setup     { scenario, concurrency, warmupMs, context }  start the client, warm it up
//   round     { durationMs, profile?, profilePath? }          one measured round, optionally profiled
//             (profile 'cpu' or 'heap': V8's sampling profilers, the ones behind --cpu-prof and
//             --heap-prof, here limited to the measured round and, for the heap, keeping the
//             samples of objects already collected, so that the profile shows allocation, not retention)
//   teardown  {}                                             close the client; metric totals of the scenario
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { installMode } from './modes.mjs';
import { measureRound, runLoops } from './measure.mjs';
import { scenarioByName } from './scenarios.mjs';

const [mode, protocolList = '', experiment] = process.argv.slice(2);
const installed = installMode(mode, protocolList.split(',').filter(Boolean));
if (mode === 'experiment') {
  const { pathToFileURL } = await import('node:url');
  const { default: apply } = await import(pathToFileURL(experiment).href);
  await apply({ mode, instrumentations: installed.instrumentations });
}

let current; // { scenario, instance, ops, totalsBefore }

async function setup({ scenario: name, concurrency, warmupMs, context }) {
  if (current) throw new Error(`scenario ${current.scenario.name} is still set up`);
  const scenario = scenarioByName(name);
  const failure = installed.failures.find((candidate) => candidate.protocol === scenario.protocol);
  if (failure) throw new Error(`${failure.packageName} did not load (${failure.error}); build it with tsc -b`);
  const totalsBefore = await installed.totals();
  const instance = await scenario.setup({ ...context, concurrency });
  const ops = await runLoops(instance.op, concurrency, warmupMs);
  current = { scenario, instance, concurrency, ops, totalsBefore };
  return { warmupOps: ops };
}

async function round({ durationMs, profile, profilePath }) {
  if (!current) throw new Error('no scenario set up');
  const measure = () => measureRound(current.instance.op, current.concurrency, durationMs);
  const result = profile ? await profiled(profile, profilePath, measure) : await measure();
  current.ops += result.ops;
  return result;
}

async function profiled(kind, path, run) {
  const session = new Session();
  session.connect();
  try {
    if (kind === 'cpu') {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    } else {
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 256,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    const result = await run();
    const { profile } = await session.post(kind === 'cpu' ? 'Profiler.stop' : 'HeapProfiler.stopSampling');
    writeFileSync(path, JSON.stringify(profile));
    return result;
  } finally {
    session.disconnect();
  }
}

async function teardown() {
  if (!current) return {};
  const { instance, ops, totalsBefore } = current;
  current = undefined;
  await instance.teardown();
  const totalsAfter = await installed.totals();
  const recorded = {};
  for (const [name, value] of Object.entries(totalsAfter)) {
    const delta = value - (totalsBefore[name] ?? 0);
    if (delta !== 0) recorded[name] = delta;
  }
  return { ops, recorded };
}

const commands = { setup, round, teardown };

process.on('message', async (message) => {
  try {
    const result = await commands[message.cmd](message);
    process.send({ id: message.id, ok: true, result });
  } catch (error) {
    process.send({ id: message.id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({
  ready: true,
  mode,
  node: process.version,
  loaded: Object.fromEntries(Object.entries(installed.instrumentations).map(([protocol, byFamily]) => [protocol, Object.keys(byFamily)])),
  failures: installed.failures,
  floors: installed.floors,
});
