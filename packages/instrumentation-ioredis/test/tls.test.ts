import { certs } from '@connmetrics/test-harness';
import { CONNECT, COUNT, CREATED, CREATE_TIME, DNS, ERROR_TYPE, FAILED, IOREDIS_COPIES, POOL, REUSED, TLS, runScenario } from './scenario';
import { startTlsRedisServer, type RedisServer } from '@connmetrics/test-harness';

let server: RedisServer;

beforeAll(async () => {
  server = await startTlsRedisServer();
});

afterAll(async () => {
  await server?.stop();
});

describe.each(IOREDIS_COPIES)('%s (%s): TLS', (copy) => {
  test('one TLS handshake per created connection; an untrusted certificate and a silent server are failed attempts', async () => {
    const run = await runScenario<{ outcomes: Record<string, string> }>('tls', copy, { port: server.port, ca: certs.ca });
    const pool = { [POOL]: `localhost:${server.port}/0` };

    const after = run.snapshot('afterCommands');
    expect(after.sum(CREATED, pool)).toBe(2); // the first connection and the reconnect
    expect(after.sum(REUSED, pool)).toBe(18);
    expect(after.count(TLS, pool)).toBe(2);
    expect(after.count(TLS, { ...pool, 'tls.protocol.version': '1.3', 'tls.resumed': false })).toBe(2);
    expect(after.count(TLS, { [ERROR_TYPE]: undefined })).toBe(2); // (a filter of undefined: without error.type)
    expect(after.count(CONNECT, pool)).toBe(2);
    expect(after.count(DNS, { ...pool, 'dns.question.name': 'localhost' })).toBe(2);
    expect(after.count(CREATE_TIME, pool)).toBe(2);
    expect(after.sum(FAILED)).toBe(0);

    expect(run.facts.outcomes).toEqual({ untrusted: 'SELF_SIGNED_CERT_IN_CHAIN', hanging: 'ETIMEDOUT' });
    const end = run.snapshot('afterEnd');
    const untrusted = { [POOL]: 'untrusted' };
    expect(end.sum(FAILED, { ...untrusted, [ERROR_TYPE]: 'SELF_SIGNED_CERT_IN_CHAIN' })).toBe(1);
    expect(end.count(TLS, { ...untrusted, [ERROR_TYPE]: 'SELF_SIGNED_CERT_IN_CHAIN' })).toBe(1);
    expect(end.sum(CREATED, untrusted)).toBe(0);
    const hanging = { [POOL]: 'hanging' };
    expect(end.sum(FAILED, { ...hanging, [ERROR_TYPE]: 'ETIMEDOUT' })).toBe(1);
    expect(end.count(CONNECT, hanging)).toBe(1); // TCP connected; TLS never finished
    expect(end.sum(FAILED)).toBe(2);
    expect(end.sum(COUNT)).toBe(0);
  });
});
