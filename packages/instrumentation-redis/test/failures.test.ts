import {
  CREATED,
  FAILED,
  TLS,
  certs,
  instrumented,
  refusedPort,
  sameWithAndWithout,
  startRedisServer,
  startTlsRedisServer,
  type Instrumented,
  type RedisServer,
  type RestartableRedisServer,
} from '@connmetrics/test-harness';
import { RedisConnectionInstrumentation } from '../src';
import { COUNTED_COPIES, ERROR_TYPE, POOL, load, poolOf } from './copies';

const PASSWORD = 'connmetrics-secret-password';
let tlsServer: RedisServer;
let authServer: RestartableRedisServer;
let run: Instrumented<RedisConnectionInstrumentation>;

beforeAll(async () => {
  [tlsServer, authServer] = await Promise.all([startTlsRedisServer(), startRedisServer(['--requirepass', PASSWORD])]);
});
afterAll(async () => {
  await Promise.all([tlsServer?.stop(), authServer?.stop()]);
});
beforeEach(() => {
  run = instrumented(new RedisConnectionInstrumentation());
});
afterEach(async () => {
  await run.stop();
});

/** What the application sees of a failed connect(): the error's class, code and message. */
const seen = (error: unknown) => {
  const { constructor, code, message } = error as { constructor: { name: string }; code?: unknown; message: string };
  return { name: constructor.name, code, message };
};

describe.each(COUNTED_COPIES)('%s (major %s): TLS and failures', (copy, major) => {
  const redis = load(copy);

  /** connect() of a client with reconnects off; resolves to what it rejected with. */
  const failingConnect = (options: Record<string, unknown>) => async () => {
    const client = redis.createClient({ ...options, socket: { ...(options.socket as object), reconnectStrategy: false } });
    client.on('error', () => {});
    const error = await client.connect().then(
      () => new Error('connected'),
      (e: unknown) => e,
    );
    // node-redis 5.12 throws ClientClosedError from destroy() of a client whose connect() gave up.
    await Promise.resolve()
      .then(() => client.destroy())
      .catch(() => {});
    return error;
  };

  test('TLS (rediss://): one handshake per connection, created after it', async () => {
    const clients = [0, 1].map(() => redis.createClient({ url: `rediss://localhost:${tlsServer.port}`, socket: { tls: true, ca: certs.ca } }));
    for (const client of clients) client.on('error', () => {});
    await Promise.all(clients.map((client: any) => client.connect()));
    await Promise.all(clients.map((client: any) => client.ping()));
    const snapshot = await run.metrics.collect();
    const pool = { [POOL]: `localhost:${tlsServer.port}/0` };
    expect(snapshot.sum(CREATED, pool)).toBe(2);
    expect(snapshot.count(TLS, pool)).toBe(2);
    expect(snapshot.count(TLS, { ...pool, 'tls.resumed': false })).toBe(2);
    await Promise.all(clients.map((client: any) => client.quit()));
  });

  test('refused, reconnects off: failed ECONNREFUSED, the application sees the same error', async () => {
    const port = await refusedPort();
    const error = await sameWithAndWithout(run.instrumentation, failingConnect({ url: `redis://127.0.0.1:${port}` }), seen);
    expect(seen(error).code).toBe('ECONNREFUSED');
    const snapshot = await run.metrics.collect();
    expect(snapshot.sum(FAILED, { [POOL]: poolOf(port), [ERROR_TYPE]: 'ECONNREFUSED' })).toBe(1);
    expect(snapshot.sum(FAILED)).toBe(1);
    expect(snapshot.sum(CREATED)).toBe(0);
  });

  test('unknown host: failed ENOTFOUND', async () => {
    const error = await sameWithAndWithout(run.instrumentation, failingConnect({ url: 'redis://connmetrics-no-such-host.invalid:6379' }), seen);
    expect(seen(error).code).toBe('ENOTFOUND');
    const snapshot = await run.metrics.collect();
    expect(snapshot.sum(FAILED, { [ERROR_TYPE]: 'ENOTFOUND' })).toBe(1);
    expect(snapshot.sum(FAILED)).toBe(1);
  });

  test('wrong password: failed WRONGPASS; no password: failed NOAUTH; never the password in an attribute', async () => {
    const wrong = await sameWithAndWithout(run.instrumentation, failingConnect({ url: `redis://:wrong-password@127.0.0.1:${authServer.port}` }), seen);
    expect(seen(wrong).message).toMatch(/^WRONGPASS/);
    // Without a password the server lets the connection in and refuses its commands (NOAUTH).
    // (node-redis 5.12's connect() never settles there: its handshake waits on a refused CLIENT SETINFO.)
    if (major === 6) {
      const noAuth = redis.createClient({ url: `redis://127.0.0.1:${authServer.port}`, RESP: 2 });
      noAuth.on('error', () => {});
      await noAuth.connect();
      await expect(noAuth.ping()).rejects.toThrow(/^NOAUTH/);
      await noAuth.destroy();
    }
    const snapshot = await run.metrics.collect();
    expect(snapshot.sum(FAILED, { [POOL]: poolOf(authServer.port), [ERROR_TYPE]: 'WRONGPASS' })).toBe(1);
    expect(snapshot.sum(FAILED)).toBe(1);
    // A connection without AUTH is ready (the server lets it in); its commands fail.
    expect(snapshot.sum(CREATED, { [POOL]: poolOf(authServer.port) })).toBe(major === 6 ? 1 : 0);
    expect(JSON.stringify(snapshot.allAttributeSets())).not.toContain('wrong-password');
  });

  test('TLS rejected (unknown CA): failed with the verification code', async () => {
    const error = await sameWithAndWithout(
      run.instrumentation,
      failingConnect({ url: `rediss://localhost:${tlsServer.port}`, socket: { tls: true } }),
      seen,
    );
    const code = seen(error).code as string;
    expect(code).toMatch(/CERT|SIGNATURE|ISSUER/);
    const snapshot = await run.metrics.collect();
    expect(snapshot.sum(FAILED, { [ERROR_TYPE]: code })).toBe(1);
    expect(snapshot.sum(FAILED)).toBe(1);
  });
});
