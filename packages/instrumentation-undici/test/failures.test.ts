import { refusedPort, sameWithAndWithout, startHttpServer, waitFor, type TestServer } from '@connmetrics/test-harness';
import * as undici from 'undici';
import { CONNECT, CREATED, DNS, FAILED, OPEN, TLS, instrumented } from './instrumented';

/** What the application sees of an error: everything but the stack. */
function seen(error: unknown) {
  const { name, message, code, cause } = error as { name: string; message: string; code?: string; cause?: { code?: string; message?: string } };
  return { name, message, code, causeCode: cause?.code, causeMessage: cause?.message, type: (error as object).constructor.name };
}

/** Runs a failing call with and without the instrumentation; both must fail alike. */
async function failBothWays(call: () => Promise<unknown>, subject: ReturnType<typeof instrumented>) {
  const failure = () => call().then(() => undefined, (error: unknown) => error);
  const withIt = await sameWithAndWithout(subject.instrumentation, failure, seen);
  expect(withIt).toBeDefined();
  return withIt;
}

describe('failed connections', () => {
  let subject: ReturnType<typeof instrumented>;
  let server: TestServer | undefined;
  beforeEach(() => {
    subject = instrumented();
  });
  afterEach(async () => {
    await subject.stop();
    await server?.close();
    server = undefined;
  });

  test('a refused port: failed with ECONNREFUSED, the same error for the application', async () => {
    const port = await refusedPort();
    const error = await failBothWays(() => undici.request(`http://127.0.0.1:${port}/`), subject);
    expect((error as { code: string }).code).toBe('ECONNREFUSED');
    // The socket's phases are read from its 'close' event, a tick after undici reports the error.
    await waitFor(async () => (await subject.metrics.collect()).count(CONNECT) === 1, 'the failed connect recorded');
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(FAILED, { 'error.type': 'ECONNREFUSED', 'server.address': '127.0.0.1', 'server.port': port })).toBe(1);
    expect(snapshot.sum(CREATED)).toBe(0);
    expect(snapshot.count(CONNECT, { 'error.type': 'ECONNREFUSED', 'server.port': port })).toBe(1);
    expect(snapshot.sum(OPEN)).toBe(0);
  });

  test('an unknown host: failed with ENOTFOUND and a DNS lookup with error.type', async () => {
    const error = await failBothWays(() => undici.fetch('http://connmetrics-nowhere.invalid/'), subject);
    expect((error as { cause: { code: string } }).cause.code).toBe('ENOTFOUND');
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(FAILED, { 'error.type': 'ENOTFOUND', 'server.address': 'connmetrics-nowhere.invalid', 'server.port': 80 })).toBe(1);
    expect(
      snapshot.count(DNS, { 'error.type': 'ENOTFOUND', 'dns.question.name': 'connmetrics-nowhere.invalid' }),
    ).toBe(1);
    expect(snapshot.count(CONNECT)).toBe(0);
  });

  test('a self-signed certificate: failed with its code, a TLS handshake with error.type', async () => {
    server = await startHttpServer({ tls: 'self-signed' });
    const origin = server.origin;
    const error = await failBothWays(() => undici.request(`${origin}/`), subject);
    expect((error as { code: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    await waitFor(async () => (await subject.metrics.collect()).count(TLS) === 1, 'the failed handshake recorded');
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(FAILED, { 'error.type': 'DEPTH_ZERO_SELF_SIGNED_CERT', 'server.address': 'localhost' })).toBe(1);
    expect(snapshot.count(TLS, { 'error.type': 'DEPTH_ZERO_SELF_SIGNED_CERT' })).toBe(1);
    expect(snapshot.count(CONNECT, { 'server.address': 'localhost' })).toBe(1); // TCP itself succeeded
    expect(snapshot.sum(CREATED)).toBe(0);
  });

  test('a connect timeout: failed with UND_ERR_CONNECT_TIMEOUT', async () => {
    // A server that accepts TCP but never answers the TLS ClientHello.
    const net = await import('node:net');
    const accepted = new Set<import('node:net').Socket>();
    const silent = net.createServer((socket) => accepted.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const client = new undici.Client(`https://127.0.0.1:${port}`, { connectTimeout: 500 }); // room for the TCP connect and the ClientHello on a loaded machine
    const error = await client.request({ path: '/', method: 'GET' }).then(() => undefined, (e: unknown) => e);
    expect((error as { code: string }).code).toBe('UND_ERR_CONNECT_TIMEOUT');
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(FAILED, { 'error.type': 'UND_ERR_CONNECT_TIMEOUT', 'server.port': port })).toBe(1);
    await waitFor(async () => (await subject.metrics.collect()).count(TLS) === 1, 'the unfinished handshake recorded');
    expect((await subject.metrics.collect()).count(TLS, { 'error.type': 'UND_ERR_CONNECT_TIMEOUT' })).toBe(1);
    await client.destroy();
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});
