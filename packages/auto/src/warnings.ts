/*
 * Configuration warnings. They go through process.emitWarning, Node's own
 * channel for warnings: printed once to stderr by default, silenced by
 * --no-warnings, observable with process.on('warning'). Each subject (an
 * environment variable, say) is warned about once per process, so a bad value
 * gives one clear line however many times it is read.
 */
export const WARNING_TYPE = 'ConnmetricsWarning';
export const WARNING_CODE = 'CONNMETRICS_CONFIG';

const WARNED = Symbol.for('connmetrics.auto.warned.v1');

function warnedSubjects(): Set<string> {
  const holder = globalThis as { [WARNED]?: Set<string> };
  return (holder[WARNED] ??= new Set());
}

/** Emits one warning per subject per process (with `code`, CONNMETRICS_CONFIG by default); never throws. */
export function warnOnce(subject: string, message: string, code: string = WARNING_CODE): void {
  const warned = warnedSubjects();
  if (warned.has(subject)) return;
  warned.add(subject);
  try {
    process.emitWarning(message, { type: WARNING_TYPE, code });
  } catch {
    // A warning must never become the application's problem.
  }
}
