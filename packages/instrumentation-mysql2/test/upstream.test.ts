import { CLOSED, CREATED, POOL_NAME, REUSED, requireMysql, runMySQL2Fixture } from './support/fixtures';

beforeAll(requireMysql);

const pooled = { [POOL_NAME]: '127.0.0.1:3306/test' };
const bare = { [POOL_NAME]: undefined };

describe('beside @opentelemetry/instrumentation-mysql2', () => {
  test.each(['upstreamFirst', 'upstreamAfter'])('%s: both wrappers in place, every connection and use counted once', async (order) => {
    const { snapshots, values } = await runMySQL2Fixture<{ upstreamWrapped: boolean; oursWrapped: boolean }>('upstream.js', order);
    expect(values).toEqual({ upstreamWrapped: true, oursWrapped: true });
    const after = snapshots.after!;
    expect({
      pooled: { created: after.sum(CREATED, pooled), reused: after.sum(REUSED, pooled), closed: after.sum(CLOSED, pooled) },
      bare: { created: after.sum(CREATED, bare), reused: after.sum(REUSED, bare), closed: after.sum(CLOSED, bare) },
    }).toEqual({ pooled: { created: 3, reused: 27, closed: 3 }, bare: { created: 1, reused: 9, closed: 1 } });
  });
});
