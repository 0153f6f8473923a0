import { COUNT, CREATED, ERROR_TYPE, FAILED, IOREDIS_COPIES, POOL, REUSED, poolOf, runScenario } from './scenario';
import { startRedisServer, type RedisServer } from '@connmetrics/test-harness';

const PASSWORD = 's3cret-Pa55word';
let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer(['--requirepass', PASSWORD]);
});

afterAll(async () => {
  await server?.stop();
});

describe.each(IOREDIS_COPIES)('%s (%s): handshake and authentication', (copy) => {
  test('AUTH, SELECT, CLIENT and the ready check are no uses; bad credentials fail with the reply prefix; no secret in any attribute', async () => {
    const run = await runScenario<{ outcomes: Record<string, { errors: string[]; status: string }> }>('auth', copy, {
      host: server.host,
      port: server.port,
      password: PASSWORD,
    });
    expect(run.facts.outcomes.wrongPassword.status).toBe('end');
    expect(run.facts.outcomes.noPassword.status).toBe('end');

    const after = run.snapshot('afterCommands');
    const selected = { [POOL]: poolOf(server.port, 3) };
    expect(after.sum(CREATED, selected)).toBe(1);
    expect(after.sum(REUSED, selected)).toBe(1); // SET then GET
    expect(after.sum(CREATED, { [POOL]: 'named' })).toBe(1);
    expect(after.sum(REUSED, { [POOL]: 'named' })).toBe(0); // one PING
    expect(after.sum(FAILED, { [POOL]: poolOf(server.port), [ERROR_TYPE]: 'WRONGPASS' })).toBe(1);
    expect(after.sum(FAILED, { [POOL]: poolOf(server.port), [ERROR_TYPE]: 'NOAUTH' })).toBe(1);
    expect(after.sum(FAILED)).toBe(2);
    expect(after.sum(CREATED)).toBe(2);
    expect(after.sum(COUNT)).toBe(2);

    const values = after.allAttributeSets().flatMap(({ attributes }) => Object.values(attributes).map(String));
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) {
      expect(value).not.toContain(PASSWORD);
      expect(value).not.toContain('not-the-password');
      expect(value).not.toContain('secret-key-name');
      expect(value).not.toContain('secret-value-text');
      expect(value).not.toContain('default'); // the username
    }
    expect(run.snapshot('afterQuit').sum(COUNT)).toBe(0);
  });
});
