import { refusedPort } from '@connmetrics/test-harness';
import { CONNECT, COUNT, CREATED, ERROR_TYPE, FAILED, IOREDIS_COPIES, POOL, REUSED, poolOf, runScenario } from './scenario';

describe.each(IOREDIS_COPIES)('%s (%s): connection failures', (copy) => {
  test('a refused port with a retryStrategy that gives up: 3 failed attempts with ECONNREFUSED, gauges at zero, application unaffected', async () => {
    const port = await refusedPort();
    const [instrumented, plain] = await Promise.all([
      runScenario('refused', copy, { port }),
      runScenario('refused', copy, { port, instrument: false }),
    ]);
    // What the application sees does not depend on the instrumentation
    // (no 'error' listener was added: ioredis would stop printing unhandled errors).
    expect(instrumented.facts).toEqual(plain.facts);
    expect(instrumented.facts).toMatchObject({
      reply: { error: 'MaxRetriesPerRequestError' },
      errorCodes: ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED'],
      status: 'end',
      listeners: { error: 1 },
    });

    const after = instrumented.snapshot('afterEnd');
    const pool = { [POOL]: poolOf(port) };
    expect(after.sum(FAILED, { ...pool, [ERROR_TYPE]: 'ECONNREFUSED' })).toBe(3);
    expect(after.sum(FAILED)).toBe(3);
    expect(after.count(CONNECT, { ...pool, [ERROR_TYPE]: 'ECONNREFUSED' })).toBe(3);
    expect(after.sum(CREATED)).toBe(0);
    expect(after.sum(REUSED)).toBe(0);
    expect(after.sum(COUNT)).toBe(0);
  });
});
