// The results table, printed once every scenario has run, then the reuse
// report of each run (connectionReport() of @connmetrics/auto).
import { formatConnectionReport } from '@connmetrics/auto';
const COLUMNS = [
  ['', 18],
  ['wall time', 10],
  ['speedup', 8],
  ['created', 8],
  ['reused', 7],
  ['reuse ratio', 12],
  ['DNS lookups', 12],
  ['TLS handshakes', 22],
  ['mean TLS handshake', 19],
];

const row = (cells) => cells.map((cell, index) => (index === 0 ? String(cell).padEnd(COLUMNS[0][1]) : String(cell).padStart(COLUMNS[index][1]))).join(' ');

export const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const percent = (ratio) => (Number.isFinite(ratio) ? `${Math.round(ratio * 100)} %` : '-');

/** reused / (reused + created): the share of uses that paid no connection setup. */
export function reuseRatio({ created, reused }) {
  return reused + created === 0 ? Number.NaN : reused / (reused + created);
}

function variantRow(label, variant, speedup) {
  const handshakes = variant.tlsHandshakes === 0 ? '0' : `${variant.tlsHandshakes}${variant.tlsResumed ? ` (${variant.tlsResumed} resumed)` : ''}`;
  const meanTls = variant.tlsHandshakes === 0 ? '-' : `${((variant.tlsSeconds / variant.tlsHandshakes) * 1000).toFixed(1)} ms`;
  return row([
    `  ${label}`,
    seconds(variant.wallMs),
    speedup,
    variant.created,
    variant.reused,
    percent(reuseRatio(variant)),
    variant.dnsLookups,
    handshakes,
    meanTls,
  ]);
}

export function printReport({ operations, rttMs, results }) {
  const lines = [
    '',
    `${operations} operations per run, ${rttMs} ms round trip through the latency proxy; connection numbers from the connmetrics metrics.`,
    '',
    row(COLUMNS.map(([title]) => title)),
  ];
  for (const result of results) {
    if (result.skipped) {
      lines.push(`${result.title}: skipped: ${result.skipped}`);
      continue;
    }
    if (result.error) {
      lines.push(`${result.title}: failed: ${result.error}`);
      continue;
    }
    lines.push(`${result.title}: without reuse, ${result.without.how}; with reuse, ${result.with.how}`);
    lines.push(variantRow('without reuse', result.without, ''));
    const speedup = `${(result.without.wallMs / result.with.wallMs).toFixed(1)}x`;
    lines.push(variantRow('with reuse', result.with, speedup));
  }
  console.log(lines.join('\n'));
}

/** The reuse report's blocks of each scenario's two runs, as `connectionReport()` gives them. */
export function printReuseReport(results) {
  const lines = ['', 'Reuse report (connectionReport() from @connmetrics/auto), per run:'];
  for (const result of results) {
    if (result.skipped || result.error) continue;
    for (const variant of ['without', 'with']) {
      const rows = result[variant].report ?? [];
      lines.push('', `${result.title}, ${variant} reuse:`);
      if (rows.length === 0) lines.push('  no connections recorded');
      const text = formatConnectionReport({ time: '', rows, notes: [] });
      lines.push(...text.trimEnd().split('\n').slice(1).map((line) => `  ${line}`));
    }
  }
  console.log(lines.join('\n'));
}
