// Writes the results of a run as JSON (everything, per round) and as a
// markdown table (the summary the README shows).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

const signed = (value, format) => (value >= 0 ? '+' : '−') + format(Math.abs(value));
const micros = (ms) => `${number.format(ms * 1000)} µs`;

/** Overhead with its spread: the range of the per-process-generation medians, or the interquartile range of one generation's rounds. */
function overhead(entry) {
  if (entry.overheadPct === undefined) return '—';
  const byGeneration = entry.overheadPctByGeneration ?? [];
  const [low, high] =
    byGeneration.length > 1 ? [Math.min(...byGeneration), Math.max(...byGeneration)] : [entry.overheadPctQ1, entry.overheadPctQ3];
  return `${signed(entry.overheadPct, (v) => oneDecimal.format(v))} % (${oneDecimal.format(low)}…${oneDecimal.format(high)})`;
}

/** Uses the connmetrics counters saw, as a share of the operations run (100 % when every use was counted). */
function countedUses(mode, totals) {
  if (mode === 'off' || mode === 'upstream' || mode === 'floor') return '—';
  const created = totals.recorded?.['connmetrics.connection.created'] ?? 0;
  const reused = totals.recorded?.['connmetrics.connection.reused'] ?? 0;
  if (!totals.ops) return '—';
  return `${oneDecimal.format(((created + reused) / totals.ops) * 100)} %`;
}

export function markdownTable(run) {
  const lines = [
    '| scenario | mode | ops/s | overhead vs off | p50 | p99 | CPU/op | Δ CPU/op | above floor | heap/op | Δ heap/op | uses counted |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const scenario of run.scenarios) {
    for (const mode of run.config.modes) {
      const entry = scenario.summary[mode];
      if (!entry) continue;
      const delta = entry.cpuUsPerOpDelta === undefined;
      lines.push(
        `| ${mode === run.config.modes[0] ? scenario.title : ''} | ${mode} | ${number.format(entry.opsPerSec)} | ${overhead(entry)} | ` +
          `${micros(entry.p50Ms)} | ${micros(entry.p99Ms)} | ${oneDecimal.format(entry.cpuUsPerOp)} µs | ` +
          `${delta ? '—' : `${signed(entry.cpuUsPerOpDelta, (v) => oneDecimal.format(v))} µs`} | ` +
          `${entry.cpuUsPerOpAboveFloor === undefined ? '—' : `${signed(entry.cpuUsPerOpAboveFloor, (v) => oneDecimal.format(v))} µs`} | ` +
          `${number.format(entry.heapBytesPerOp)} B | ${delta ? '—' : `${signed(entry.heapBytesPerOpDelta, (v) => number.format(v))} B`} | ` +
          `${countedUses(mode, scenario.totals[mode] ?? {})} |`,
      );
    }
  }
  return lines.join('\n');
}

export function markdownReport(run) {
  const { config, machine } = run;
  return [
    `# connmetrics benchmark${config.quick ? ' (quick: too short to read anything into the numbers)' : ''}`,
    '',
    `${run.startedAt}, ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}. ` +
      `${config.rounds} rounds of ${config.roundMs} ms per scenario and mode in ${config.generations} generation${config.generations > 1 ? 's' : ''} of worker processes, ` +
      `modes interleaved (order rotated each round), ` +
      `${config.warmupMs} ms warm-up, ${config.concurrency} concurrent callers, ` +
      `${config.pinned ? 'workers and HTTP server pinned to CPU 0' : 'no CPU pinning'}. ` +
      `Load average at start: ${machine.loadAverage.join(', ')}.`,
    '',
    markdownTable(run),
    '',
    'ops/s, p50, p99, CPU/op and heap/op: median over rounds. Overhead: median over rounds of (1 − ops/s ÷ ops/s of `off` in the same round); ' +
      'in brackets the lowest and highest median of the process generations (with one generation, the interquartile range of its rounds). ' +
      'Δ: the same pairing for CPU time and heap allocated per operation. ' +
      'above floor: CPU per operation minus the `floor` mode\'s in the same round (median): what the mode costs beyond the hooks it is built on ' +
      '(`floor`: the same diagnostics channels subscribed with no-op handlers and the same methods wrapped with pass-through bodies, no MeterProvider). ' +
      'CPU/op is the worker process\'s user + system time (all threads) per operation; heap/op the bytes allocated on the V8 heap per operation. ' +
      'uses counted: (connmetrics.connection.created + reused) ÷ operations, warm-up included.',
    '',
    `Versions: ${Object.entries(run.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}.`,
    '',
  ].join('\n');
}

export function writeResults(run, directory) {
  mkdirSync(directory, { recursive: true });
  const json = join(directory, 'bench.json');
  const markdown = join(directory, 'bench.md');
  writeFileSync(json, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(markdown, markdownReport(run));
  return { json, markdown };
}
