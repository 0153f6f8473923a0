/*
 * The report as text (one block per client and server, ending with its
 * verdict) and as JSON (the same data, seconds as numbers).
 */
import type { ConnectionReport, ConnectionReportRow, Percentiles } from './report';
import { clientWords } from './clients';
import { seconds } from './units';

function pair(p: Percentiles): string {
  return p.count === 0 ? '—' : `p50 ${seconds(p.p50)} p99 ${seconds(p.p99)}`;
}

function percent(ratio: number | undefined): string {
  return ratio === undefined ? '—' : `${(ratio * 100).toFixed(1)} %`;
}

function counts(record: Readonly<Record<string, number>>): string {
  const entries = Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([key, value]) => `${key} ${value}`).join(', ');
}

function block(row: ConnectionReportRow): string[] {
  const lines = [
    `${row.protocol || '?'} ${row.target} (${clientWords(row.client).name})`,
    `  uses ${row.uses}, created ${row.created}, reuse ${percent(row.reuseRatio)}, failed ${row.failed}, reuse failures ${row.reuseFailed}`,
    `  closed: ${counts(row.closedByReason)}; idle before a server close: ${
      row.idleBeforeServerClose.count === 0 ? '—' : `median ${seconds(row.idleBeforeServerClose.p50)}`
    }`,
    `  connect ${pair(row.connect)}, TLS ${pair(row.tls)}, DNS ${pair(row.dns)}${
      row.wait.metric === undefined ? '' : `, ${row.wait.metric === 'db.client.connection.wait_time' ? 'pool wait' : 'queue'} ${pair(row.wait)}`
    }`,
  ];
  if (row.findings.length === 0) lines.push('  → ok');
  for (const finding of row.findings) lines.push(`  → ${finding.verdict}${finding.fix ? ` — ${finding.fix}` : ''}`);
  return lines;
}

export function formatConnectionReport(report: ConnectionReport): string {
  const lines = [`connmetrics reuse report (${report.time}, pid ${process.pid})`];
  if (report.rows.length === 0 && report.notes.length === 0) lines.push('  no connections recorded');
  for (const row of report.rows) lines.push(...block(row));
  for (const note of report.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

export function connectionReportJson(report: ConnectionReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
