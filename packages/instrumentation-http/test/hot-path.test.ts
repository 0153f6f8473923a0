import { join } from 'node:path';
import { runFixture, startHttpServer, type TestServer } from '@connmetrics/test-harness';

describe('the hot path', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startHttpServer();
  });
  afterAll(() => server.close());

  test('a reused request allocates nothing: 3,000,000 of them cause at most one garbage collection', async () => {
    // 16 bytes per request would be 48 MB: several young-generation collections.
    const run = await runFixture<{ collections: number }>(join(__dirname, 'fixtures', 'hot-path.js'), { args: [server.origin] });
    expect(run.stderr).toBe('');
    expect(run.result!.collections).toBeLessThanOrEqual(1);
  });
});
