import * as http2 from 'node:http2';
import { certs, refusedPort, waitFor } from '@connmetrics/test-harness';
import { request, startHttp2Server, type Http2TestServer } from './http2-server';
import { CONNECT, CREATED, DNS, FAILED, LIFETIME, REUSED, TLS, gaugeSettles, instrumented } from './instrumented';

function httpConnection(port: number, address = '127.0.0.1') {
  return { 'network.protocol.name': 'http', 'network.protocol.version': '2', 'server.address': address, 'server.port': port };
}

const closed = (session: http2.ClientHttp2Session) =>
  new Promise<void>((resolve) => (session.closed && session.destroyed ? resolve() : session.once('close', () => resolve())));

/** Opens a session, runs `body`, and resolves to what the application saw of its errors. */
async function failingSession(url: string, options: http2.SecureClientSessionOptions = {}) {
  const session = http2.connect(url, options);
  const seen: Record<string, unknown> = {};
  session.on('error', (error: NodeJS.ErrnoException) => (seen.session = { code: error.code, message: error.message }));
  const stream = session.request({ ':path': '/' });
  stream.on('error', (error: NodeJS.ErrnoException) => (seen.stream = { code: error.code, message: error.message }));
  stream.end();
  await closed(session);
  return seen;
}

describe('plain node:http2 clients', () => {
  let subject: ReturnType<typeof instrumented>;
  let server: Http2TestServer | undefined;
  beforeEach(() => {
    subject = instrumented();
  });
  afterEach(async () => {
    await subject.stop();
    await server?.close();
    server = undefined;
  });

  test('10 requests on one session, the first sent while it connects: created 1, reused 9, protocol http', async () => {
    server = await startHttp2Server();
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    for (let i = 0; i < 10; i += 1) expect(await request(session)).toBe('ok');
    const snapshot = await subject.metrics.collect();
    expect(snapshot.attributeSets(CREATED)).toEqual([httpConnection(server.port)]);
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED, httpConnection(server.port))).toBe(9);
    expect(snapshot.count(CONNECT, httpConnection(server.port))).toBe(1);
    await gaugeSettles(subject.metrics, { active: 0, idle: 1 }, httpConnection(server.port));
    session.close();
    await closed(session);
    const after = await subject.metrics.collect();
    expect(after.count(LIFETIME, httpConnection(server.port))).toBe(1);
    await gaugeSettles(subject.metrics, { active: 0, idle: 0 });
    expect(server.sessions).toBe(1);
  });

  test('a session that connected before its first request: created 1 on that request, reused 4', async () => {
    server = await startHttp2Server();
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    await new Promise((resolve) => session.once('connect', resolve));
    expect((await subject.metrics.collect()).sum(CREATED)).toBe(0); // not seen until it carries a stream
    for (let i = 0; i < 5; i += 1) await request(session);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED, httpConnection(server.port))).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(4);
    expect(snapshot.count(CONNECT)).toBe(1);
    session.close();
  });

  test('streams the server pushes are not uses', async () => {
    server = await startHttp2Server({ push: 2 });
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    let pushed = 0;
    session.on('stream', (stream) => {
      pushed += 1;
      stream.resume();
    });
    for (let i = 0; i < 3; i += 1) await request(session);
    await waitFor(() => pushed === 6, 'six pushed streams');
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(2);
    session.close();
  });

  test('a client sending gRPC requests over node:http2 counts as grpc', async () => {
    server = await startHttp2Server();
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    for (let i = 0; i < 3; i += 1) await request(session, { ':method': 'POST', 'content-type': 'application/grpc+proto' });
    const snapshot = await subject.metrics.collect();
    expect(snapshot.attributeSets(CREATED)).toEqual([{ ...httpConnection(server.port), 'network.protocol.name': 'grpc' }]);
    expect(snapshot.sum(REUSED, { 'network.protocol.name': 'grpc' })).toBe(2);
    session.close();
  });

  test('over TLS to localhost: one lookup, one connect, one handshake, created 1, reused 4', async () => {
    server = await startHttp2Server({ tls: true });
    const session = http2.connect(`https://localhost:${server.port}`, { ca: certs.ca });
    for (let i = 0; i < 5; i += 1) await request(session);
    const snapshot = await subject.metrics.collect();
    const connection = httpConnection(server.port, 'localhost');
    expect(snapshot.sum(CREATED, connection)).toBe(1);
    expect(snapshot.sum(REUSED, connection)).toBe(4);
    expect(snapshot.count(DNS, { ...connection, 'dns.question.name': 'localhost' })).toBe(1);
    expect(snapshot.count(CONNECT, connection)).toBe(1);
    expect(snapshot.count(TLS, { ...connection, 'tls.protocol.version': '1.3', 'tls.resumed': false })).toBe(1);
    session.close();
  });

  test('a refused port: failed with ECONNREFUSED, the application sees the same errors', async () => {
    const port = await refusedPort();
    subject.instrumentation.disable();
    const without = await failingSession(`http://127.0.0.1:${port}`);
    subject.instrumentation.enable();
    const withIt = await failingSession(`http://127.0.0.1:${port}`);
    expect(without).toEqual({
      session: expect.objectContaining({ code: 'ECONNREFUSED' }),
      stream: expect.objectContaining({ code: 'ERR_HTTP2_STREAM_CANCEL' }),
    });
    expect(withIt).toEqual(without);
    // The socket's phases are read from its own 'close' event, which may follow the session's.
    await waitFor(async () => (await subject.metrics.collect()).count(CONNECT) === 1, 'the failed connect recorded');
    const snapshot = await subject.metrics.collect();
    expect(snapshot.attributeSets(FAILED)).toEqual([{ ...httpConnection(port), 'error.type': 'ECONNREFUSED' }]);
    expect(snapshot.sum(FAILED)).toBe(1);
    expect(snapshot.count(CONNECT, { ...httpConnection(port), 'error.type': 'ECONNREFUSED' })).toBe(1);
    expect(snapshot.sum(CREATED)).toBe(0);
    await gaugeSettles(subject.metrics, { active: 0, idle: 0 });
  });

  test('an untrusted certificate: failed with its code and a TLS handshake with error.type', async () => {
    server = await startHttp2Server({ tls: 'self-signed' });
    const seen = await failingSession(`https://localhost:${server.port}`, { ca: certs.ca });
    expect(seen.session).toEqual(expect.objectContaining({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }));
    await waitFor(async () => (await subject.metrics.collect()).count(TLS) === 1, 'the failed handshake recorded');
    const snapshot = await subject.metrics.collect();
    const connection = httpConnection(server.port, 'localhost');
    expect(snapshot.sum(FAILED, { ...connection, 'error.type': 'DEPTH_ZERO_SELF_SIGNED_CERT' })).toBe(1);
    expect(snapshot.count(TLS, { ...connection, 'error.type': 'DEPTH_ZERO_SELF_SIGNED_CERT' })).toBe(1);
    expect(snapshot.count(CONNECT, connection)).toBe(1); // TCP itself succeeded
    expect(snapshot.sum(CREATED)).toBe(0);
  });
});
