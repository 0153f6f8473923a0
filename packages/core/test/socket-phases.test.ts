import * as net from 'node:net';
import * as tls from 'node:tls';
import { TestMetrics, certs, refusedPort, waitFor } from '@connmetrics/test-harness';
import { createConnectionInstruments } from '../src';
import { ConnectionClaims } from '../src/claims';
import {
  acquireSocketPhases,
  claimNextSocketPhases,
  claimSocketPhases,
  isSocketFollowed,
  releaseSocketPhases,
  timeTlsUpgrade,
  type PhaseTarget,
} from '../src/socket-phases';

const CONNECT = 'connmetrics.connection.connect.duration';
const TLS_HANDSHAKE = 'connmetrics.tls.handshake.duration';
const DNS = 'dns.lookup.duration';

describe('socket phases', () => {
  let metrics: TestMetrics;
  let target: PhaseTarget;
  let tlsServer: tls.Server;
  let tcpServer: net.Server;
  const user = {};

  beforeAll(async () => {
    tlsServer = tls.createServer({ cert: certs.serverCert, key: certs.serverKey }, (socket) => socket.end());
    tcpServer = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => tcpServer.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => tlsServer.close(resolve));
    await new Promise((resolve) => tcpServer.close(resolve));
  });
  beforeEach(() => {
    metrics = new TestMetrics();
    target = {
      instruments: createConnectionInstruments(metrics.meterProvider.getMeter('test')),
      attributes: { 'network.protocol.name': 'test' },
    };
    acquireSocketPhases(user);
  });
  afterEach(() => releaseSocketPhases(user));

  const port = (server: net.Server) => (server.address() as net.AddressInfo).port;
  const closed = (socket: net.Socket) => new Promise((resolve) => socket.once('close', resolve));

  test('a claimed TLS socket to localhost records one lookup, one connect and one handshake', async () => {
    const socket = tls.connect({ host: 'localhost', port: port(tlsServer), ca: certs.ca });
    expect(claimSocketPhases(socket, target)).toBe(true);
    expect(claimSocketPhases(socket, target)).toBe(false); // the first claim wins
    await closed(socket);
    const snapshot = await metrics.collect();
    expect(snapshot.count(DNS, { 'dns.question.name': 'localhost' })).toBe(1);
    expect(snapshot.count(CONNECT, { 'network.protocol.name': 'test' })).toBe(1);
    expect(snapshot.count(TLS_HANDSHAKE, { 'tls.protocol.version': '1.3', 'tls.resumed': false })).toBe(1);
  });

  const targetOn = (provider: TestMetrics): PhaseTarget => {
    const claims = new ConnectionClaims('test');
    claims.provider = provider.meterProvider;
    claims.active = true;
    return { instruments: { ...createConnectionInstruments(provider.meterProvider.getMeter('test')), claims }, attributes: { 'network.protocol.name': 'test' } };
  };

  test('the next-socket claims of instances on two MeterProviders both record the refused connect', async () => {
    const other = new TestMetrics();
    try {
      const refused = await refusedPort(); // before the claims: they lapse at the next microtask
      claimNextSocketPhases(targetOn(metrics));
      claimNextSocketPhases(targetOn(other));
      claimNextSocketPhases(targetOn(other)); // the same provider again: still once
      const socket = net.connect({ host: '127.0.0.1', port: refused });
      socket.on('error', () => undefined);
      await closed(socket);
      for (const snapshot of [await metrics.collect(), await other.collect()]) {
        expect(snapshot.count(CONNECT, { 'error.type': 'ECONNREFUSED' })).toBe(1);
      }
    } finally {
      await other.shutdown();
    }
  });

  test('instances on two MeterProviders each record a socket’s phases once; a second claim on one provider records nothing', async () => {
    const other = new TestMetrics();
    try {
      const socket = tls.connect({ host: 'localhost', port: port(tlsServer), ca: certs.ca });
      expect([claimSocketPhases(socket, targetOn(metrics)), claimSocketPhases(socket, targetOn(metrics))]).toEqual([true, false]);
      await new Promise((resolve) => socket.once('lookup', resolve));
      // Claimed after the lookup: recorded at the claim; the rest as they finish.
      expect(claimSocketPhases(socket, targetOn(other))).toBe(true);
      await closed(socket);
      for (const snapshot of [await metrics.collect(), await other.collect()]) {
        expect([snapshot.count(DNS, { 'dns.question.name': 'localhost' }), snapshot.count(CONNECT), snapshot.count(TLS_HANDSHAKE, { 'tls.resumed': false })]).toEqual([1, 1, 1]);
      }
    } finally {
      await other.shutdown();
    }
  });

  test('phases finished before the claim are recorded at the claim', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: port(tcpServer) });
    await new Promise((resolve) => socket.once('connect', resolve));
    expect((await metrics.collect()).count(CONNECT)).toBe(0);
    claimSocketPhases(socket, target);
    expect((await metrics.collect()).count(CONNECT)).toBe(1);
    await closed(socket);
  });

  test('an unclaimed socket records nothing, and adds no error listener', async () => {
    const socket = new net.Socket();
    socket.connect(port(tcpServer), '127.0.0.1');
    expect(isSocketFollowed(socket)).toBe(true);
    expect(socket.listenerCount('error')).toBe(0);
    await closed(socket);
    expect((await metrics.collect()).metrics).toHaveLength(0);
  });

  test('a refused connect is recorded with error.type when the socket closes', async () => {
    const refused = await refusedPort();
    claimNextSocketPhases(target);
    const socket = net.connect({ host: '127.0.0.1', port: refused });
    socket.on('error', () => undefined);
    await closed(socket);
    expect((await metrics.collect()).count(CONNECT, { 'error.type': 'ECONNREFUSED' })).toBe(1);
  });

  test('the next-socket claim lapses after the synchronous run', async () => {
    claimNextSocketPhases(target);
    await Promise.resolve();
    const socket = net.connect({ host: '127.0.0.1', port: port(tcpServer) });
    await closed(socket);
    expect((await metrics.collect()).count(CONNECT)).toBe(0);
  });

  test('TLS upgraded on a connected socket is timed from the start of TLS', async () => {
    const raw = net.connect({ host: '127.0.0.1', port: port(tlsServer) });
    await new Promise((resolve) => raw.once('connect', resolve));
    const secure = tls.connect({ socket: raw, servername: 'localhost', ca: certs.ca });
    timeTlsUpgrade(secure, target);
    await closed(secure);
    const snapshot = await metrics.collect();
    expect(snapshot.count(TLS_HANDSHAKE, { 'tls.protocol.version': '1.3' })).toBe(1);
    expect(snapshot.count(CONNECT)).toBe(0);
  });

  test('TLS upgraded without a target yet: the handshake is recorded when the socket is claimed later', async () => {
    const raw = net.connect({ host: '127.0.0.1', port: port(tlsServer) });
    await new Promise((resolve) => raw.once('connect', resolve));
    const secure = tls.connect({ socket: raw, servername: 'localhost', ca: certs.ca });
    timeTlsUpgrade(secure);
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    expect((await metrics.collect()).count(TLS_HANDSHAKE)).toBe(0); // nobody claimed it yet
    expect(claimSocketPhases(secure, target)).toBe(true);
    expect((await metrics.collect()).count(TLS_HANDSHAKE, { 'tls.protocol.version': '1.3' })).toBe(1);
    secure.destroy();
    await closed(secure);
  });

  test('released: new sockets are not followed', async () => {
    releaseSocketPhases(user);
    const socket = net.connect({ host: '127.0.0.1', port: port(tcpServer) });
    expect(isSocketFollowed(socket)).toBe(false);
    await closed(socket);
    await waitFor(() => socket.destroyed, 'socket destroyed');
  });
});
