/*
 * One series per attribute set however a connection's attributes were built
 * (followed from its attempt, or adopted at a use, with a connectionAttributes
 * hook), and one count per connection with two instances on one MeterProvider.
 */
import { startHttpServer, type TestServer } from '@connmetrics/test-harness';
import * as undici from 'undici';
import { UndiciConnectionInstrumentation } from '../src';
import { CREATED, LIFETIME, QUEUE, REUSED, instrumented, nextTick } from './instrumented';

let server: TestServer;
beforeEach(async () => {
  server = await startHttpServer();
});
afterEach(async () => {
  await server.close();
});

async function requests(count: number, dispatcher: undici.Dispatcher): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const response = await undici.request(server.origin, { dispatcher });
    await response.body.text();
    await nextTick();
  }
}

test('hook + adopted + created connections to one server: one series, every reuse in it', async () => {
  const subject = instrumented({ connectionAttributes: () => ({ team: 'payments' }) });
  try {
    const adoptedPool = new undici.Pool(server.origin);
    subject.instrumentation.disable();
    await requests(1, adoptedPool); // opened while disabled: adopted at its next use
    subject.instrumentation.enable();
    await requests(3, adoptedPool);
    const createdPool = new undici.Pool(server.origin);
    await requests(4, createdPool);
    const snapshot = await subject.metrics.collect();
    expect(server.acceptedConnections).toBe(2);
    expect(snapshot.points(REUSED)).toHaveLength(1);
    expect(snapshot.sum(REUSED, { team: 'payments' })).toBe(3 + 3);
    expect(snapshot.sum(CREATED, { team: 'payments' })).toBe(1);
    await adoptedPool.close();
    await createdPool.close();
  } finally {
    await subject.stop();
  }
});

test('two instances on one MeterProvider: created, reused, lifetimes and waits counted once', async () => {
  const subject = instrumented();
  const second = new UndiciConnectionInstrumentation();
  second.setMeterProvider(subject.metrics.meterProvider);
  try {
    const pool = new undici.Pool(server.origin, { connections: 2 });
    await Promise.all([requests(5, pool), requests(5, pool)]);
    await pool.close();
    await nextTick();
    const snapshot = await subject.metrics.collect();
    expect(server.requests).toBe(10);
    expect({
      created: snapshot.sum(CREATED),
      reused: snapshot.sum(REUSED),
      lifetimes: snapshot.count(LIFETIME),
      waits: snapshot.count(QUEUE),
    // Only the first request of each new connection waited for one (undici shows no Pool queue).
    }).toEqual({ created: server.acceptedConnections, reused: 10 - server.acceptedConnections, lifetimes: server.acceptedConnections, waits: server.acceptedConnections });
  } finally {
    second.disable();
    await subject.stop();
  }
});
