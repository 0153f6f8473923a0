import { CLOSED, CREATED, USES, startHttpServer, sleep } from '@connmetrics/test-harness';
import * as undici from 'undici';
import { instrumented, nextTick } from '../instrumented';
test('dbg', async () => {
  const subject = instrumented();
  const s = await startHttpServer();
  const pool = new undici.Pool(s.origin, { maxRequestsPerClient: 2 });
  for (let i = 0; i < 6; i++) { const r = await undici.request(s.origin, { dispatcher: pool }); await r.body.text(); await nextTick(); }
  await sleep(200);
  const snap = await subject.metrics.collect();
  console.log(s.acceptedConnections, s.requests, snap.sum(CREATED), snap.sum(CLOSED), JSON.stringify(snap.points(USES).map((p) => p.value)));
  await pool.close(); await s.close(); await subject.stop();
});
