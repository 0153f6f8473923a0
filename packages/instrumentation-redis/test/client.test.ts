import {
  CLOSED,
  CLOSE_REASON,
  CREATED,
  DB_COUNT,
  DB_CREATE_TIME,
  REUSED,
  REUSE_FAILED,
  USES,
  instrumented,
  redisCli,
  startRedisServer,
  waitFor,
  type Instrumented,
  type RestartableRedisServer,
} from '@connmetrics/test-harness';
import { RedisConnectionInstrumentation } from '../src';
import { COUNTED_COPIES, POOL, STATE, acceptedConnections, load, poolOf } from './copies';

let server: RestartableRedisServer;
let run: Instrumented<RedisConnectionInstrumentation>;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(() => {
  run = instrumented(new RedisConnectionInstrumentation());
});
afterEach(async () => {
  await run.stop();
});

const accepted = () => acceptedConnections(redisCli(server.port, ['INFO', 'stats']));

describe.each(COUNTED_COPIES)('%s (major %s): one client', (copy, major) => {
  const redis = load(copy);

  test('50 commands, half queued before ready: created 1, reused 49, as the server accepted one connection', async () => {
    const before = accepted();
    const client = redis.createClient({ url: `redis://127.0.0.1:${server.port}` });
    client.on('error', () => {});
    const connecting = client.connect();
    const replies: Array<Promise<unknown>> = [];
    for (let i = 0; i < 25; i += 1) replies.push(client.ping());
    expect(client.isReady).toBe(false);
    await connecting;
    for (let i = 0; i < 25; i += 1) replies.push(client.ping());
    await Promise.all(replies);
    // INFO through redis-cli counts its own connection too.
    expect(accepted() - before - 1).toBe(1);

    const pool = { [POOL]: poolOf(server.port) };
    const snapshot = await run.metrics.collect();
    expect(snapshot.sum(CREATED, pool)).toBe(1);
    expect(snapshot.sum(REUSED, pool)).toBe(49);
    expect(snapshot.count(DB_CREATE_TIME, pool)).toBe(1);
    expect(snapshot.sum(DB_COUNT, { ...pool, [STATE]: 'idle' })).toBe(1);
    expect(snapshot.sum(DB_COUNT, { ...pool, [STATE]: 'used' })).toBe(0);

    await client.quit();
    const closed = await run.metrics.collect();
    expect(closed.sum(CLOSED, { ...pool, [CLOSE_REASON]: 'client_closed' })).toBe(1);
    expect(closed.histogramSum(USES, pool)).toBe(50);
    expect(closed.count(USES, pool)).toBe(1);
    expect(closed.sum(DB_COUNT, pool)).toBe(0);
  });

  test('CLIENT KILL: the killed connection is closed, the next command runs on a created one', async () => {
    const client = redis.createClient({ url: `redis://127.0.0.1:${server.port}` });
    client.on('error', () => {});
    await client.connect();
    const firstId = Number(await client.clientId());
    await client.set('connmetrics:kill', '1');
    const ready = new Promise((resolve) => client.once('ready', resolve));
    redisCli(server.port, ['CLIENT', 'KILL', 'ID', String(firstId)]);
    await ready;
    const secondId = Number(await client.clientId());
    expect(secondId).not.toBe(firstId);

    const pool = { [POOL]: poolOf(server.port) };
    const snapshot = await run.metrics.collect();
    expect(snapshot.sum(CREATED, pool)).toBe(2);
    expect(snapshot.sum(REUSED, pool)).toBe(1); // SET after CLIENT ID; the second CLIENT ID is its connection's first use
    // node-redis 6 publishes the error that closed it (the server's FIN); 5.12 publishes none.
    const closed = major === 6 ? { [CLOSE_REASON]: 'server_closed' } : { [CLOSE_REASON]: 'error', 'error.type': '_OTHER' };
    expect(snapshot.sum(CLOSED, { ...pool, ...closed })).toBe(1);
    expect(snapshot.sum(CLOSED, pool)).toBe(1);
    expect(snapshot.sum(REUSE_FAILED, pool)).toBe(0);
    expect(snapshot.sum(DB_COUNT, { ...pool, [STATE]: 'idle' })).toBe(1);
    await client.destroy();
    expect((await run.metrics.collect()).sum(CLOSED, { ...pool, [CLOSE_REASON]: 'client_closed' })).toBe(1);
  });

  test('RESP2 (HELLO not sent; AUTH/SETNAME/SELECT as commands of the handshake): created 1 when ready, the handshake is no use', async () => {
    const client = redis.createClient({ url: `redis://127.0.0.1:${server.port}/2`, RESP: 2, name: 'resp2' });
    client.on('error', () => {});
    await client.connect();
    for (let i = 0; i < 10; i += 1) await client.ping();
    const pool = { [POOL]: poolOf(server.port, 2) };
    const snapshot = await run.metrics.collect();
    expect(snapshot.sum(CREATED, pool)).toBe(1);
    expect(snapshot.sum(REUSED, pool)).toBe(9);
    // The server saw the handshake: the name and the database are set on its connection.
    expect(redisCli(server.port, ['CLIENT', 'LIST'])).toMatch(/ name=resp2 .* db=2 /);
    await client.quit();
  });

  test('a reuse in flight when the server kills its connection: reuse_failed with the error the application saw', async () => {
    const client = redis.createClient({ url: `redis://127.0.0.1:${server.port}`, name: 'reuse-failed' });
    client.on('error', () => {});
    await client.connect();
    const id = Number(await client.clientId());
    const popped = client.blPop(`connmetrics:reuse-failed:${copy}`, 10).catch((error: unknown) => error);
    await waitFor(() => / name=reuse-failed .* cmd=blpop /.test(redisCli(server.port, ['CLIENT', 'LIST'])), 'the BLPOP to block');
    redisCli(server.port, ['CLIENT', 'KILL', 'ID', String(id)]);
    const error = (await popped) as { constructor: { name: string } };
    expect(error.constructor.name).toBe('SocketClosedUnexpectedlyError');
    const pool = { [POOL]: poolOf(server.port) };
    // The application's rejection may come before node-redis reports the closed socket: wait for the close.
    await waitFor(async () => (await run.metrics.collect()).sum(CLOSED, pool) === 1, 'the killed connection to be recorded as closed');
    const snapshot = await run.metrics.collect();
    expect(snapshot.sum(REUSE_FAILED, { ...pool, 'error.type': 'SocketClosedUnexpectedlyError' })).toBe(1);
    expect(snapshot.sum(REUSE_FAILED)).toBe(1);
    await client.destroy();
  });

  test('a server restart: the connection closes, the reconnect is a created connection', async () => {
    // A server of its own: no client of another test reconnects to it when it comes back.
    const server = await startRedisServer();
    const client = redis.createClient({ url: `redis://127.0.0.1:${server.port}`, socket: { reconnectStrategy: () => 50 } });
    client.on('error', () => {});
    // Ground truth: node-redis's own 'ready' events (a reconnect can land on the
    // stopping server before it stops listening: that is a connection too).
    let readies = 0;
    client.on('ready', () => (readies += 1));
    await client.connect();
    await client.ping();
    await server.halt();
    await waitFor(() => !client.isReady, 'the client to see the server gone');
    const ready = new Promise((resolve) => client.once('ready', resolve));
    await server.start();
    await ready;
    await client.ping();
    const pool = { [POOL]: poolOf(server.port) };
    const snapshot = await run.metrics.collect();
    expect(readies).toBeGreaterThanOrEqual(2);
    expect(snapshot.sum(CREATED, pool)).toBe(readies);
    expect(snapshot.sum(CLOSED, pool)).toBe(readies - 1);
    expect(snapshot.sum(DB_COUNT, { ...pool, [STATE]: 'idle' })).toBe(1);
    expect(snapshot.sum(DB_COUNT, { ...pool, [STATE]: 'used' })).toBe(0);
    await client.quit();
    await server.stop();
  });

  test('MULTI counts its commands with MULTI and EXEC; a pipeline counts its commands', async () => {
    const client = redis.createClient({ url: `redis://127.0.0.1:${server.port}` });
    client.on('error', () => {});
    await client.connect();
    await client.ping();
    await client.multi().incr('connmetrics:multi').incr('connmetrics:multi').exec();
    const pool = { [POOL]: poolOf(server.port) };
    expect((await run.metrics.collect()).sum(REUSED, pool)).toBe(4);
    const pipeline = client.multi();
    for (let i = 0; i < 10; i += 1) pipeline.incr('connmetrics:pipeline');
    await pipeline.execAsPipeline();
    expect((await run.metrics.collect()).sum(REUSED, pool)).toBe(14);
    await client.quit();
  });

  test('a command in flight keeps its connection used (BLPOP), idle after its reply', async () => {
    const client = redis.createClient({ url: `redis://127.0.0.1:${server.port}`, name: 'blocked' });
    client.on('error', () => {});
    await client.connect();
    const list = `connmetrics:blpop:${copy}`;
    const popped = client.blPop(list, 10);
    await waitFor(() => / name=blocked .* cmd=blpop /.test(redisCli(server.port, ['CLIENT', 'LIST'])), 'the BLPOP to block');
    const pool = { [POOL]: poolOf(server.port) }; // no naming patch inside jest: the pool name is host:port/db
    const blocked = await run.metrics.collect();
    expect(blocked.sum(DB_COUNT, { ...pool, [STATE]: 'used' })).toBe(1);
    expect(blocked.sum(DB_COUNT, { ...pool, [STATE]: 'idle' })).toBe(0);
    redisCli(server.port, ['RPUSH', list, 'x']);
    await popped;
    const unblocked = await run.metrics.collect();
    expect(unblocked.sum(DB_COUNT, { ...pool, [STATE]: 'used' })).toBe(0);
    expect(unblocked.sum(DB_COUNT, { ...pool, [STATE]: 'idle' })).toBe(1);
    await client.quit();
  });
});
