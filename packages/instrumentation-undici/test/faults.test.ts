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
      const failures = logged.errors.filter((message) => message.includes('failed'));
      expect(failures.length).toBeGreaterThan(0);
      // One error line per distinct hook however often it failed; repeats go to debug.
      expect(new Set(failures).size).toBe(failures.length);
      expect(logged.all.filter((entry) => entry.level === 'debug' && entry.message.includes('again')).length).toBeGreaterThan(0);
    } finally {
      instrumentation.disable();
      logged.restore();
    }
  });
});
