import * as diagnosticsChannel from 'node:diagnostics_channel';
import * as http2 from 'node:http2';
import { waitFor } from '@connmetrics/test-harness';
import { Http2Channel } from '../src';
import { echoClient, startEchoServer, unary } from './fixtures/echo-service';
import { request, startHttp2Server, type Http2TestServer } from './http2-server';
import { CREATED, LIFETIME, REUSED, gaugeSettles, grpcConnection, instrumented } from './instrumented';

const subscribed = () => Object.values(Http2Channel).map((name) => diagnosticsChannel.channel(name).hasSubscribers);
const listeners = (session: http2.ClientHttp2Session) => ({
  connect: session.listenerCount('connect'),
  close: session.listenerCount('close'),
});

describe('disable() and enable()', () => {
  let subject: ReturnType<typeof instrumented>;
  beforeEach(() => {
    subject = instrumented();
  });
  afterEach(async () => subject.stop());

  test('disable() unsubscribes every channel, enable() subscribes again; both are safe twice', () => {
    expect(subscribed()).toEqual([true, true, true, true]);
    subject.instrumentation.disable();
    subject.instrumentation.disable();
    expect(subscribed()).toEqual([false, false, false, false]);
    subject.instrumentation.enable();
    subject.instrumentation.enable();
    expect(subscribed()).toEqual([true, true, true, true]);
  });

  describe('with a node:http2 server', () => {
    let server: Http2TestServer;
    beforeEach(async () => {
      server = await startHttp2Server();
    });
    afterEach(async () => server.close());

    test('disable() removes the listeners it added to sessions, connecting or connected', async () => {
      const withoutUs = http2.connect(`http://127.0.0.1:${server.port}`);
      subject.instrumentation.disable();
      const expected = request(withoutUs);
      const unobserved = listeners(withoutUs); // Node's own, for a request queued on a connecting session
      subject.instrumentation.enable();
      await expected;

      const connecting = http2.connect(`http://127.0.0.1:${server.port}`);
      const first = request(connecting); // seen while connecting: 'connect' and 'close' listeners added
      expect(listeners(connecting)).toEqual({ connect: unobserved.connect + 1, close: unobserved.close + 1 });
      subject.instrumentation.disable();
      expect(listeners(connecting)).toEqual(unobserved);
      await first;
      subject.instrumentation.enable();

      const connected = http2.connect(`http://127.0.0.1:${server.port}`);
      await new Promise((resolve) => connected.once('connect', resolve));
      const idle = listeners(connected);
      await request(connected); // first seen connected: a 'close' listener only
      expect(listeners(connected)).toEqual({ connect: idle.connect, close: idle.close + 1 });
      subject.instrumentation.disable();
      expect(listeners(connected)).toEqual(idle);
      for (const session of [withoutUs, connecting, connected]) session.close();
    });

    test('a session whose listeners the application removed still leaves the gauge when destroyed', async () => {
      const session = http2.connect(`http://127.0.0.1:${server.port}`);
      for (let i = 0; i < 2; i += 1) await request(session);
      await gaugeSettles(subject.metrics, { active: 0, idle: 1 });
      session.removeAllListeners('close');
      session.destroy();
      await gaugeSettles(subject.metrics, { active: 0, idle: 0 });
      const snapshot = await subject.metrics.collect();
      expect(snapshot.count(LIFETIME)).toBe(1);
      expect(snapshot.sum(CREATED)).toBe(1);
      expect(snapshot.sum(REUSED)).toBe(1);
    });

    test('nothing is recorded while disabled; a session opened meanwhile is adopted after enable()', async () => {
      subject.instrumentation.disable();
      const session = http2.connect(`http://127.0.0.1:${server.port}`);
      for (let i = 0; i < 3; i += 1) await request(session);
      expect((await subject.metrics.collect()).sum(CREATED)).toBe(0);
      subject.instrumentation.enable();
      for (let i = 0; i < 4; i += 1) await request(session);
      let snapshot = await subject.metrics.collect();
      // It paid its setup before it was seen: every use seen is reused, nothing created.
      expect(snapshot.sum(CREATED)).toBe(0);
      expect(snapshot.sum(REUSED, { 'network.protocol.name': 'http', 'server.port': server.port })).toBe(4);
      await gaugeSettles(subject.metrics, { active: 0, idle: 1 });
      session.close();
      await new Promise((resolve) => session.once('close', resolve));
      snapshot = await subject.metrics.collect();
      expect(snapshot.count(LIFETIME)).toBe(0); // its lifetime began unseen
      await gaugeSettles(subject.metrics, { active: 0, idle: 0 });
    });
  });

  test('a grpc-js channel connected while disabled: its calls after enable() are reused', async () => {
    const server = await startEchoServer();
    const client = echoClient(`127.0.0.1:${server.port}`);
    subject.instrumentation.disable();
    await unary(client);
    subject.instrumentation.enable();
    for (let i = 0; i < 5; i += 1) await unary(client);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(0);
    expect(snapshot.sum(REUSED, grpcConnection(server.port))).toBe(5);
    client.close();
    server.stop();
  });

  test('a session in flight at disable() leaves nothing behind after enable()', async () => {
    const server = await startEchoServer();
    const client = echoClient(`127.0.0.1:${server.port}`);
    const release = server.hold('slow');
    const slow = unary(client, { text: 'slow' });
    await waitFor(() => server.calls === 1, 'the call to reach the server'); // in flight until released
    subject.instrumentation.disable();
    subject.instrumentation.enable();
    release();
    await slow;
    // The stream that started before disable() ends without touching the new state.
    await unary(client);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(1);
    await gaugeSettles(subject.metrics, { active: 0, idle: 1 });
    client.close();
    server.stop();
  });
});
