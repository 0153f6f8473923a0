import { captureDiag, certs, refusedPort, startHttpServer, throwingMeterProvider, type TestServer } from '@connmetrics/test-harness';
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
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Each failing hook logs one error, however often it failed: two connections (created,
      // used, closed), one refused attempt, one DNS lookup, one TLS handshake.
      const undiciHook = (name: string) => `@connmetrics/instrumentation-undici connmetrics: hook ${name} failed; the application is unaffected`;
      const phaseHook = (name: string) => `@connmetrics/core/socket-phases connmetrics: hook ${name} failed; the application is unaffected`;
      expect([...logged.errors].sort()).toEqual(
        [
          ...['record created', 'record closed', 'record uses', 'record idleTime', 'socket close', 'undici:client:sendHeaders', 'undici:client:connectError'].map(undiciHook),
          ...['connect', 'lookup', 'secureConnect', 'close'].map(phaseHook),
        ].sort(),
      );
      // Repeats go to debug: the hooks that ran once per connection failed a second time.
      const again = logged.all.filter((entry) => entry.level === 'debug' && entry.message.includes('again')).map((entry) => entry.message);
      expect([...again].sort()).toEqual(
        [
          ...['record created', 'record closed', 'record uses', 'record idleTime', 'socket close', 'undici:client:sendHeaders'].map(
            (name) => `@connmetrics/instrumentation-undici connmetrics: hook ${name} failed again (2 times)`,
          ),
          '@connmetrics/core/socket-phases connmetrics: hook connect failed again (2 times)',
        ].sort(),
      );
    } finally {
      instrumentation.disable();
      logged.restore();
    }
  });
});
