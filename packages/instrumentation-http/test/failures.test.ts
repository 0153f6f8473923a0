import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { certs, refusedPort, sameWithAndWithout, startHttpServer, waitFor, watchConnections, type TestServer } from '@connmetrics/test-harness';
import {
  CONNECT,
  CREATED,
  DNS,
  FAILED,
  LIFETIME,
  CLOSED,
  OPEN,
  REUSED,
  TLS,
  instrumented,
  server as serverAttributes,
  type Subject,
} from './instrumented';

/** What the application sees of a request: its events and errors, everything but stacks. */
interface Outcome {
  events: string[];
  requestError?: Record<string, unknown>;
  responseError?: Record<string, unknown>;
  status?: number;
  body?: string;
}

function describeError(error: Error & Record<string, unknown>): Record<string, unknown> {
  const { name, message, code, errno, syscall, hostname, address } = error;
  return { type: error.constructor.name, name, message: message.replace(/^[0-9A-F]{16}:/, ''), code, errno, syscall, hostname, address };
}

/**
 * Makes one request and reports what the application saw, once it has all
 * settled: its request or response has ended and, when either failed, its
 * socket has closed (the instrumentation records a failed attempt, its phases
 * and a lifetime there). A socket kept alive after a success stays open.
 */
function attempt(url: string, options: https.RequestOptions = {}, onRequest?: (request: http.ClientRequest) => void): Promise<Outcome> {
  const target = new URL(url);
  const module = target.protocol === 'https:' ? https : http;
  const connections = watchConnections();
  return new Promise((resolve) => {
    const outcome: Outcome = { events: [] };
    const done = () => {
      if (outcome.requestError || outcome.responseError) void connections.closed().then(() => resolve(outcome));
      else {
        connections.stop();
        resolve(outcome);
      }
    };
    const request = module.get(target, options, (response) => {
      outcome.events.push('response');
      outcome.status = response.statusCode;
      outcome.body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (outcome.body += chunk));
      response.on('aborted', () => outcome.events.push('aborted'));
      response.on('error', (error) => {
        outcome.events.push('response error');
        outcome.responseError = describeError(error as Error & Record<string, unknown>);
      });
      response.on('end', () => outcome.events.push('end'));
      response.on('close', () => {
        outcome.events.push('response close');
        done();
      });
    });
    request.on('socket', (socket) => connections.add(socket)); // a reused socket too
    request.on('error', (error) => {
      outcome.events.push('request error');
      outcome.requestError = describeError(error as Error & Record<string, unknown>);
      done();
    });
    onRequest?.(request);
  });
}

/** Runs a failing request without and with the instrumentation: the application must see the same. */
const sameBothWays = (subject: Subject, call: () => Promise<Outcome>) => sameWithAndWithout(subject.instrumentation, call);

describe('failures', () => {
  let subject: Subject;
  let server: TestServer | undefined;
  const closers: Array<() => unknown> = [];

  beforeEach(() => {
    subject = instrumented();
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await subject.stop();
    await server?.close();
    server = undefined;
  });

  test('a refused port: 1 failed with ECONNREFUSED, the same error for the application, no open connection', async () => {
    const port = await refusedPort();
    const outcome = await sameBothWays(subject, () => attempt(`http://127.0.0.1:${port}/`, { agent: false }));
    expect(outcome.requestError).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(FAILED, { ...serverAttributes('127.0.0.1', port), 'error.type': 'ECONNREFUSED' })).toBe(1);
    expect(snapshot.count(CONNECT, { 'error.type': 'ECONNREFUSED', 'server.port': port })).toBe(1);
    expect(snapshot.sum(CREATED)).toBe(0);
    expect(snapshot.sum(OPEN)).toBe(0);
    expect(snapshot.count(LIFETIME)).toBe(0);
  });

  test('a refused port through a keep-alive agent: every attempt counted, the agent holds nothing', async () => {
    const port = await refusedPort();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(() => agent.destroy());
    // Two requests on one socket slot: the second waits in the queue, then gets its own attempt.
    const outcomes = await Promise.all([attempt(`http://127.0.0.1:${port}/`, { agent }), attempt(`http://127.0.0.1:${port}/`, { agent })]);
    expect(outcomes.map((outcome) => outcome.requestError?.code)).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(FAILED, { 'error.type': 'ECONNREFUSED' })).toBe(2);
    expect(snapshot.sum(CREATED)).toBe(0);
    expect(snapshot.sum(OPEN)).toBe(0);
  });

  test('an unknown host: 1 failed with ENOTFOUND, a DNS lookup with error.type, no TCP connect', async () => {
    const url = 'http://connmetrics-nowhere.invalid/';
    const outcome = await sameBothWays(subject, () => attempt(url, { agent: false }));
    expect(outcome.requestError).toMatchObject({ code: 'ENOTFOUND', hostname: 'connmetrics-nowhere.invalid' });
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(FAILED, { ...serverAttributes('connmetrics-nowhere.invalid', 80), 'error.type': 'ENOTFOUND' })).toBe(1);
    expect(snapshot.count(DNS, { 'dns.question.name': 'connmetrics-nowhere.invalid', 'error.type': 'ENOTFOUND' })).toBe(1);
    expect(snapshot.count(CONNECT)).toBe(0);
    expect(snapshot.sum(OPEN)).toBe(0);
  });

  test('a rejected certificate: 1 failed with DEPTH_ZERO_SELF_SIGNED_CERT, a TLS handshake with error.type', async () => {
    server = await startHttpServer({ tls: 'self-signed' });
    const origin = server.origin;
    const outcome = await sameBothWays(subject, () => attempt(origin, { agent: false }));
    expect(outcome.requestError).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const snapshot = await subject.metrics.collect();
    const attributes = serverAttributes('localhost', server.port);
    expect(snapshot.sum(FAILED, { ...attributes, 'error.type': 'DEPTH_ZERO_SELF_SIGNED_CERT' })).toBe(1);
    expect(snapshot.count(TLS, { ...attributes, 'error.type': 'DEPTH_ZERO_SELF_SIGNED_CERT' })).toBe(1);
    expect(snapshot.count(CONNECT, { ...attributes, 'error.type': undefined })).toBe(1); // TCP itself succeeded
    expect(snapshot.sum(CREATED)).toBe(0);
    expect(snapshot.sum(OPEN)).toBe(0);
  });

  test('a server that destroys the socket mid-response: ECONNRESET on the connection, the same "aborted" for the application', async () => {
    const midResponse = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      // Destroyed once the partial body is handed to the OS: the client reads it, then the end.
      response.write('partial', () => response.socket?.destroy());
    });
    await new Promise<void>((resolve) => midResponse.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => midResponse.close(resolve)));
    const port = (midResponse.address() as net.AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true });
    closers.push(() => agent.destroy());
    const outcome = await sameBothWays(subject, () => attempt(`http://127.0.0.1:${port}/`, { agent }));
    expect(outcome.events).toEqual(['response', 'aborted', 'response error', 'response close']);
    expect(outcome.responseError).toMatchObject({ code: 'ECONNRESET', message: 'aborted' });
    expect(outcome.body).toBe('partial');
    const snapshot = await subject.metrics.collect();
    const attributes = serverAttributes('127.0.0.1', port);
    expect(snapshot.sum(CREATED, attributes)).toBe(1); // the connection was made; its request failed
    expect(snapshot.sum(FAILED)).toBe(0);
    expect(snapshot.count(LIFETIME, { ...attributes, 'error.type': 'ECONNRESET' })).toBe(1);
    expect(snapshot.sum(CLOSED, { ...attributes, 'error.type': 'ECONNRESET' })).toBe(1);
    expect(snapshot.sum(OPEN)).toBe(0);
  });

  test('a server that closes before answering: ECONNRESET ("socket hang up") on the connection, a new one for the next request', async () => {
    let answered = 0;
    const flaky = http.createServer((request, response) => {
      if (answered++ === 1) request.socket.destroy(); // the second request, on the kept-alive connection
      else response.end('ok');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => flaky.close(resolve)));
    const port = (flaky.address() as net.AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true });
    closers.push(() => agent.destroy());
    const first = await attempt(`http://127.0.0.1:${port}/`, { agent });
    expect(first.body).toBe('ok');
    const second = await attempt(`http://127.0.0.1:${port}/`, { agent });
    expect(second.requestError).toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });
    const third = await attempt(`http://127.0.0.1:${port}/`, { agent });
    expect(third.body).toBe('ok');
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(2);
    expect(snapshot.sum(REUSED)).toBe(1);
    expect(snapshot.sum(FAILED)).toBe(0);
    expect(snapshot.count(LIFETIME, { 'error.type': 'ECONNRESET' })).toBe(1);
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(1);
  });

  test('a TLS handshake the application gives up on: 1 failed with the ECONNRESET it sees, a TLS handshake with error.type', async () => {
    const accepted = new Set<net.Socket>();
    // The application destroys its request once the server has its ClientHello (as a timeout would,
    // but at a moment the test controls: a timer could fire before the handshake even began).
    const giveUp: Array<() => void> = [];
    const silent = net.createServer((socket) => {
      accepted.add(socket); // accepts TCP, never answers the ClientHello
      socket.once('data', () => giveUp.shift()?.());
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      for (const socket of accepted) socket.destroy();
      return new Promise((resolve) => silent.close(resolve));
    });
    const port = (silent.address() as net.AddressInfo).port;
    const outcome = await sameBothWays(subject, () =>
      attempt(`https://localhost:${port}/`, { agent: false }, (request) => giveUp.push(() => request.destroy())),
    );
    expect(outcome.requestError).toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(FAILED, { ...serverAttributes('localhost', port), 'error.type': 'ECONNRESET' })).toBe(1);
    // The handshake's own record (core's socket phases) carries the socket's error: destroying a TLS
    // socket mid-handshake cancels its pending write.
    expect(snapshot.count(TLS, { 'server.port': port, 'error.type': 'ECANCELED', 'tls.resumed': false })).toBe(1);
    expect(snapshot.count(TLS)).toBe(1);
    expect(snapshot.sum(CREATED)).toBe(0);
  });

  test('a TLS 1.3 server rejecting a missing client certificate: the client finished its handshake, so the connection counts as created and ends with the alert', async () => {
    server = await startHttpServer({ tls: true, requestClientCert: true });
    const origin = server.origin;
    const outcome = await sameBothWays(subject, () => attempt(origin, { agent: false, ca: certs.ca }));
    expect(outcome.requestError).toMatchObject({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    await waitFor(async () => (await subject.metrics.collect()).count(LIFETIME) === 1, 'the connection closed');
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(FAILED)).toBe(0);
    expect(snapshot.count(LIFETIME, { 'error.type': 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' })).toBe(1);
    expect(snapshot.sum(OPEN)).toBe(0);
  });
});
