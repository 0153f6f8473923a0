import { captureDiag, certs, refusedPort, startHttpServer, throwingMeterProvider, watchConnections, type TestServer } from '@connmetrics/test-harness';
import * as undici from 'undici';
import { UndiciConnectionInstrumentation } from '../src';

describe('a metric recorder that throws', () => {
  let server: TestServer;
  let tlsServer: TestServer;
  beforeAll(async () => {
    server = await startHttpServer();
    tlsServer = await startHttpServer({ tls: true });
  });
  afterAll(async () => {
    await server.close();
    await tlsServer.close();
  });

  test('never reaches the application, and each failing hook is logged once', async () => {
    const logged = captureDiag();
    const instrumentation = new UndiciConnectionInstrumentation();
    instrumentation.setMeterProvider(throwingMeterProvider());
    const connections = watchConnections();
    try {
      const pool = new undici.Pool(server.origin);
      const tlsClient = new undici.Client(tlsServer.origin, { connect: { ca: certs.ca } });
      for (let i = 0; i < 5; i += 1) {
        expect(await (await undici.request(server.origin, { dispatcher: pool })).body.text()).toBe('ok');
        expect(await (await tlsClient.request({ path: '/', method: 'GET' })).body.text()).toBe('ok');
      }
      const refused = await refusedPort();
      await expect(undici.request(`http://127.0.0.1:${refused}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await pool.close();
      await tlsClient.close();
      // The refused socket's connect time is recorded at its close, after undici reported the error.
      await connections.closed();
      // Each failing recording logs one error, however often it failed (the guarded Meter of core
      // catches it at the instrument): two connections (created, used, closed), one refused
      // attempt, one DNS lookup, one TLS handshake, one request that waited per connection.
      const recordHook = (name: string) => `@connmetrics/instrumentation-undici connmetrics: hook record ${name} failed; the application is unaffected`;
      expect([...logged.errors].sort()).toEqual(
        [
          'connmetrics.connection.closed',
          'connmetrics.connection.connect.duration',
          'connmetrics.connection.created',
          'connmetrics.connection.failed',
          'connmetrics.connection.idle_time',
          'connmetrics.connection.uses',
          'connmetrics.tls.handshake.duration',
          'dns.lookup.duration',
          'http.client.connection.duration',
          'http.client.request.time_in_queue',
        ].map(recordHook),
      );
      // Repeats go to debug: what was recorded once per connection failed a second time.
      const again = logged.all.filter((entry) => entry.level === 'debug' && entry.message.includes('again')).map((entry) => entry.message);
      expect([...again].sort()).toEqual(
        [
          'connmetrics.connection.closed',
          'connmetrics.connection.connect.duration',
          'connmetrics.connection.created',
          'connmetrics.connection.idle_time',
          'connmetrics.connection.uses',
          'http.client.connection.duration',
          'http.client.request.time_in_queue',
        ]
          .map((name) => `@connmetrics/instrumentation-undici connmetrics: hook record ${name} failed again (2 times)`)
          // TCP connects: the two connections and the refused attempt.
          .concat('@connmetrics/instrumentation-undici connmetrics: hook record connmetrics.connection.connect.duration failed again (3 times)')
          .sort(),
      );
    } finally {
      connections.stop();
      instrumentation.disable();
      logged.restore();
    }
  });
});
