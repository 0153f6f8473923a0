/**
 * The environment of a child application: nothing inherited that would
 * configure OpenTelemetry or connmetrics (OTEL_*, CONNMETRICS_*,
 * NODE_OPTIONS), plus `extra`.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OTEL_') || key.startsWith('CONNMETRICS_') || key === 'NODE_OPTIONS') env[key] = undefined;
    else env[key] = value;
  }
  return { ...env, ...extra };
}

/** Node's warning lines (`(node:PID) [CODE] Type: message`) in a process's stderr. */
export function warningLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^\(node:\d+\) /.test(line));
}
