import { join } from 'node:path';
import { certs } from '../harness';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/**
 * A child process environment with nothing inherited that would configure
 * OpenTelemetry or connmetrics, the test CA trusted, and `extra`.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    env[key] = key.startsWith('OTEL_') || key.startsWith('CONNMETRICS_') || key === 'NODE_OPTIONS' ? undefined : value;
  }
  return { ...env, NODE_EXTRA_CA_CERTS: join(certs.dir, 'ca.crt'), ...extra };
}

/** Node's warning lines in a process's stderr. */
export function warningLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^\(node:\d+\) /.test(line));
}
