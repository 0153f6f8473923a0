// Prints the root README's Performance table from the bench.json of one run
// per Node version: `node test/bench/summary.mjs results-24/bench.json results-26/bench.json`.
// Every figure is read from the runs; only the goals (issue #13) are written here.
import { readFileSync } from 'node:fs';

const GOALS = {
  'undici-pool': '≤ 2 %, ≤ 256 B',
  fetch: '≤ 2 %, ≤ 256 B',
  'http-agent': '≤ 2 %, ≤ 256 B',
  'http-churn': '≤ 5 %, —',
  'pg-pool': '≤ 4 %, ≤ 512 B',
  'mysql2-pool': '— (no goal)',
  'postgres-pool': '— (no goal)',
  'ioredis-get': '≤ 2 %, ≤ 256 B',
  'node-redis-get': '≤ 2 %, ≤ 256 B',
};

const runs = process.argv.slice(2).map((path) => JSON.parse(readFileSync(path, 'utf8')));
if (runs.length === 0) throw new Error('usage: summary.mjs bench.json [bench.json ...] (one per Node version)');

const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const signed = (value, format) => (value === undefined ? '—' : (value >= 0 ? '+' : '−') + format(Math.abs(value)));
const pct = (value) => (value === undefined ? '—' : `${signed(value, (v) => oneDecimal.format(v))} %`);
const us = (value) => `${signed(value, (v) => oneDecimal.format(v))} µs`;
const bytes = (value) => `${signed(value, (v) => whole.format(v))} B`;
const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
/** Median over rounds of `mode`'s CPU per operation minus `base`'s in the same round (paired, like `above floor`). */
const pairedCpu = (scenario, mode, base) => {
  const a = scenario?.rounds?.[mode];
  const b = scenario?.rounds?.[base];
  if (!a || !b) return undefined;
  return median(a.map((round, index) => round.cpuUsPerOp - (b[index]?.cpuUsPerOp ?? Number.NaN)));
};
const across = (format, pick) => (scenarioName) => runs.map((run) => format(pick(run.scenarios.find((s) => s.name === scenarioName)?.summary ?? {}))).join(' / ');

const versions = runs.map((run) => `Node ${run.machine.node.replace(/^v/, '').split('.')[0]}`).join(' / ');
console.log(
  `| scenario | goal (overhead, Δ heap/op) | throughput overhead, floor → bookkeeping → connmetrics (${versions}) | above floor, bookkeeping (${versions}) | SDK histograms: connmetrics − bookkeeping (${versions}) | Δ heap/op (${versions}) | upstream (${versions}) |`,
);
console.log('|---|---|--:|--:|--:|--:|--:|');
for (const scenario of runs[0].scenarios) {
  const name = scenario.name;
  const chain = runs
    .map((run) => {
      const summary = run.scenarios.find((s) => s.name === name)?.summary ?? {};
      return `${pct(summary.floor?.overheadPct)} → ${pct(summary.bookkeeping?.overheadPct)} → **${pct(summary.connmetrics?.overheadPct)}**`;
    })
    .join(' / ');
  const sdk = () => runs.map((run) => us(pairedCpu(run.scenarios.find((s) => s.name === name), 'connmetrics', 'bookkeeping'))).join(' / ');
  console.log(
    `| ${scenario.title} | ${GOALS[name] ?? '—'} | ${chain} | ${across(us, (s) => s.bookkeeping?.cpuUsPerOpAboveFloor)(name)} | ` +
      `${sdk()} | ${across(bytes, (s) => s.connmetrics?.heapBytesPerOpDelta)(name)} | ${across(pct, (s) => s.upstream?.overheadPct)(name)} |`,
  );
}
console.log(
  `\nCPU per operation of \`off\` (${versions}): ` +
    runs[0].scenarios.map((scenario) => `${scenario.name} ${across((v) => `${oneDecimal.format(v)} µs`, (s) => s.off?.cpuUsPerOp)(scenario.name)}`).join('; '),
);
