import { join } from 'node:path';
import { certs } from '@connmetrics/test-harness';

/** Where the fixture applications live; they resolve `@connmetrics/auto/register` from here (package self-reference). */
export const FIXTURES = join(__dirname, 'fixtures');

export const REGISTER = '@connmetrics/auto/register';
export const REQUIRE_REGISTER = ['--require', REGISTER];
export const IMPORT_REGISTER = ['--import', REGISTER];

export const CREATED = 'connmetrics.connection.created';
export const REUSED = 'connmetrics.connection.reused';
export const FAILED = 'connmetrics.connection.failed';
export const CONNECT = 'connmetrics.connection.connect.duration';
export const TLS = 'connmetrics.tls.handshake.duration';
export const DNS = 'dns.lookup.duration';
export const OPEN = 'http.client.open_connections';
export const LIFETIME = 'http.client.connection.duration';
export const QUEUE = 'http.client.request.time_in_queue';

/**
 * The environment of a fixture: nothing inherited that would configure
 * OpenTelemetry or connmetrics differently, the test CA trusted (so that the
 * unmodified application can reach the HTTPS test servers), and `extra`.
 */
export function fixtureEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OTEL_') || key.startsWith('CONNMETRICS_') || key === 'NODE_OPTIONS') env[key] = undefined;
    else env[key] = value;
  }
  return { ...env, NODE_EXTRA_CA_CERTS: join(certs.dir, 'ca.crt'), ...extra };
}

/** Node's warning lines (`(node:PID) [CODE] Type: message`) in a process's stderr. */
export function warningLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^\(node:\d+\) /.test(line));
}
