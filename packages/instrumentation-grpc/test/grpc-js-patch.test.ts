import { join } from 'node:path';
import { runFixture } from '@connmetrics/test-harness';
import { grpcConnection } from './instrumented';

// These run in a real child process: the instrumentation is enabled before
// @grpc/grpc-js is required, so require-in-the-middle patches its connector
// as in an application (jest's own module loader bypasses require hooks).
const fixture = join(__dirname, 'fixtures', 'grpc-client.js');

interface Summary {
  created: number;
  reused: number;
  failed: Record<string, number>;
  open: { active: number; idle: number };
  lifetimes: number;
  dnsLookups: number;
  tcpConnects: number;
  tlsHandshakes: number;
  tlsFailures: Record<string, number>;
  tlsVersions: Array<string | null>;
  tlsResumed: number;
  createdAttributes: Array<Record<string, unknown>>;
  failedAttributes: Array<Record<string, unknown>>;
}

async function run<T>(scenario: string): Promise<T> {
  const result = await runFixture<T>(fixture, { args: [scenario], timeoutMs: 30_000 });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.result as T;
}

describe('grpc-js with its connector patched', () => {
  test('one TLS channel to localhost, 20 sequential calls: created 1, reused 19, one TCP connect, one TLS handshake', async () => {
    const result = await run<Summary & { patched: boolean; port: number; peers: number }>('tls');
    expect(result).toEqual({
      patched: true,
      port: result.port,
      peers: 1,
      created: 1,
      reused: 19,
      failed: {},
      open: { active: 0, idle: 1 },
      lifetimes: 0,
      // grpc-js resolves names in its own resolver and connects to the address: no lookup on the socket.
      dnsLookups: 0,
      tcpConnects: 1,
      tlsHandshakes: 1,
      tlsFailures: {},
      tlsVersions: ['1.3'],
      tlsResumed: 0,
      createdAttributes: [grpcConnection(result.port, 'localhost')],
      failedAttributes: [],
    });
  });

  test('server stopped and restarted: failed attempts with ECONNREFUSED, the reconnect created, gauges exact', async () => {
    const { port, before, stopped, whileDown, after, refused, peers } = await run<{
      port: number;
      before: Summary;
      stopped: Summary;
      whileDown: { code: number; details: string };
      after: Summary;
      refused: number;
      peers: number;
    }>('restart');
    // The attempts the OS refused while the server was down (the fixture restarts it after the second;
    // grpc-js's backoff decides whether a third fits in before).
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(before).toMatchObject({ created: 1, reused: 4, failed: {}, open: { active: 0, idle: 1 }, lifetimes: 0, tcpConnects: 1 });
    expect(stopped).toMatchObject({ created: 1, reused: 4, failed: {}, open: { active: 0, idle: 0 }, lifetimes: 1 });
    expect(whileDown).toEqual({ code: 14, details: expect.stringContaining(`connect ECONNREFUSED 127.0.0.1:${port}`) });
    expect(after).toMatchObject({
      created: 2,
      reused: 8, // 4 before the stop, 4 after the reconnect's own first call
      failed: { ECONNREFUSED: refused },
      open: { active: 0, idle: 1 },
      lifetimes: 1,
      tcpConnects: 2, // the sockets of the two sessions; refused sockets are not handed to the patch
      createdAttributes: [grpcConnection(port)],
      failedAttributes: [{ ...grpcConnection(port), 'error.type': 'ECONNREFUSED' }],
    });
    expect(peers).toBe(1); // the restarted server saw one connection
  });

  test('an untrusted server certificate: failed and a TLS handshake with its code, the same error for the application', async () => {
    const result = await run<Summary & { port: number; without: unknown; withIt: unknown; patchedWhileDisabled: boolean }>('untrusted');
    expect(result.without).toEqual({ code: 14, details: expect.stringContaining('self-signed certificate') });
    expect(result.withIt).toEqual(result.without);
    expect(result.patchedWhileDisabled).toBe(false);
    expect(result).toMatchObject({
      created: 0,
      reused: 0,
      failed: { DEPTH_ZERO_SELF_SIGNED_CERT: 1 },
      tcpConnects: 1, // TCP itself succeeded
      tlsHandshakes: 1,
      tlsFailures: { DEPTH_ZERO_SELF_SIGNED_CERT: 1 },
      failedAttributes: [{ ...grpcConnection(result.port, 'localhost'), 'error.type': 'DEPTH_ZERO_SELF_SIGNED_CERT' }],
    });
  });

  test('a target grpc-js cannot resolve: no connection attempt, nothing failed', async () => {
    const result = await run<Summary & { error: unknown; patched: boolean }>('unresolvable');
    expect(result.error).toEqual({ code: 14, details: expect.stringContaining('Name resolution failed') });
    expect(result).toMatchObject({ patched: true, created: 0, reused: 0, failed: {}, tcpConnects: 0, dnsLookups: 0 });
  });

  test('disable() removes the patch and stops counting, enable() restores both; twice is safe', async () => {
    const result = await run<{ states: boolean[]; disabled: Summary; enabled: Summary }>('lifecycle');
    expect(result.states).toEqual([true, false, true]);
    expect(result.disabled).toMatchObject({ created: 0, reused: 0, failed: {}, tcpConnects: 0, open: { active: 0, idle: 0 } });
    expect(result.enabled).toMatchObject({ created: 1, reused: 1, failed: {}, tcpConnects: 1 });
  });

  test('an ESM application, the instrumentation registered with --import: calls counted, a refused attempt failed', async () => {
    const run = await runFixture<{ status: string; port: number; created: number; reused: number; failed: unknown[] }>(
      join(__dirname, 'fixtures', 'esm-app.mjs'),
      { execArgv: ['--import', join(__dirname, 'fixtures', 'esm-register.mjs')], timeoutMs: 30_000 },
    );
    expect(run.stderr).toBe('');
    const result = run.result!;
    expect(result).toEqual({
      status: 'UNAVAILABLE',
      port: result.port,
      created: 1,
      reused: 2,
      failed: [{ ...grpcConnection(result.port), 'error.type': 'ECONNREFUSED', count: 1 }],
    });
  });
});

describe('close reasons', () => {
  test('client.close() is client_closed, the server GOAWAY (graceful shutdown) is server_closed; uses per session', async () => {
    const result = await run<{ ports: [number, number]; closed: Record<string, number>; uses: number; idle: number }>('closeReasons');
    const [closing, shutting] = result.ports;
    expect(result.closed).toEqual({
      [`${closing}:client_closed:`]: 1,
      [`${shutting}:server_closed:`]: 1,
    });
    expect(result.uses).toBe(3 + 4);
    expect(result.idle).toBe(2); // each was idle when it closed
  });

  test('a session reset (RST) is error with error.type ECONNRESET', async () => {
    expect(await run('reset')).toEqual({ closedReset: 1, closed: 1, uses: 3 });
  });

  test('grpc-js closing a session after its channel idle timeout (grpc.client_idle_timeout_ms) is idle_timeout', async () => {
    const result = await runFixture<Record<string, unknown>>(fixture, { args: ['idleTimeout'], timeoutMs: 40_000 });
    expect(result.stderr).toBe('');
    expect(result.result).toEqual({ idleTimeout: 1, idleTime: 1, atLeastTimeout: true, uses: 2 });
  }, 45_000);
});
