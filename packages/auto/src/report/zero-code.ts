/*
 * CONNMETRICS_REPORT in zero-code mode: `stderr`, or a file path (`.json`
 * for JSON). The report is printed when the process finishes (normal exit,
 * or SIGTERM/SIGINT when connmetrics ends the process) and on SIGUSR2 for a
 * running service. Unset, nothing here runs.
 */
import { writeFileSync } from 'node:fs';
import type { EnvReader } from '../env';
import { warnOnce } from '../warnings';
import { connectionReportJson, formatConnectionReport } from './format';
import { connectionReportReader, type ConnectionReportReader } from './reader';
import { connectionReport } from './report';

export const REPORT_SIGNAL = 'SIGUSR2';

export interface ZeroCodeReport {
  /** The reader to add to connmetrics' own MeterProvider. */
  readonly reader: ConnectionReportReader;
  /** Prints the report once more; never rejects. */
  print(): Promise<void>;
  /** Removes the signal listener. */
  remove(): void;
}

export function reportDestination(reader: EnvReader): string | undefined {
  return reader.string('CONNMETRICS_REPORT');
}

export function startZeroCodeReport(destination: string): ZeroCodeReport {
  const reader = connectionReportReader();
  const json = destination.toLowerCase().endsWith('.json');
  const print = async (): Promise<void> => {
    try {
      const report = await connectionReport();
      const text = json ? connectionReportJson(report) : formatConnectionReport(report);
      if (destination.toLowerCase() === 'stderr') process.stderr.write(text);
      else writeFileSync(destination, text);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | undefined)?.code ?? (error instanceof Error ? error.message : String(error));
      warnOnce('report-write', `CONNMETRICS_REPORT: could not write the reuse report to ${destination} (${code}).`);
    }
  };
  const onSignal = () => {
    void print();
  };
  process.on(REPORT_SIGNAL, onSignal);
  return {
    reader,
    print,
    remove: () => {
      process.removeListener(REPORT_SIGNAL, onSignal);
    },
  };
}
