import { Pool } from 'undici';
import { TestMetrics, startHttpServer } from '@connmetrics/test-harness';
import { UndiciConnectionInstrumentation } from '../src';

test('smoke', async () => {
  const metrics = new TestMetrics();
  const inst = new UndiciConnectionInstrumentation();
  inst.setMeterProvider(metrics.meterProvider);
  const server = await startHttpServer();
  const pool = new Pool(server.origin);
  for (let i = 0; i < 20; i++) {
    const r = await pool.request({ path: '/', method: 'GET' });
    await r.body.text();
  }
  const s = await metrics.collect();
  console.log(server.acceptedConnections, JSON.stringify(s.points('connmetrics.connection.created')), s.sum('connmetrics.connection.created'), s.sum('connmetrics.connection.reused'), s.count('connmetrics.connection.connect.duration'));
  await pool.close(); await server.close(); inst.disable();
});
