/*
 * Redis servers the tests start themselves (password, TLS, Unix socket,
 * cluster) on free loopback ports, each in its own temporary directory,
 * stopped in afterAll. Never the machine's shared Redis.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { certs } from './certs';
import { freePort } from './ports';
import { requireReachable } from './services';
import { waitFor } from './wait';

const HOST = '127.0.0.1';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** Stops the server for good and removes its directory. */
  stop(): Promise<void>;
}

export interface RestartableRedisServer extends RedisServer {
  /** Its temporary directory (for a Unix socket, say). */
  readonly dir: string;
  /** Stops the process (SIGTERM, then SIGKILL) and waits until it exited; `start()` brings it back. */
  halt(): Promise<void>;
  /** Starts it again on the same port and arguments; resolves once it accepts connections. */
  start(): Promise<void>;
}

/** `redis-cli` against a server of these tests; returns its output. */
export function redisCli(port: number, args: string[], input?: string, extra: string[] = []): string {
  const run = spawnSync('redis-cli', ['-h', HOST, '-p', String(port), ...extra, ...args], { encoding: 'utf8', input, timeout: 10_000 });
  if (run.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

interface Started {
  readonly child: ChildProcess;
  output: string;
}

/** Addresses to listen on: 127.0.0.1, and ::1 where the machine has it ('-' makes it optional). */
const BIND = [HOST, '-::1'];

function startProcess(args: string[], dir: string): Started {
  const child = spawn('redis-server', [...args, '--bind', ...BIND, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: Started = { child, output: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (started.output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (started.output += chunk));
  return started;
}

async function stopProcess(started: Started): Promise<void> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitUntilListening(started: Started, port: number): Promise<void> {
  try {
    await waitFor(async () => {
      if (started.child.exitCode !== null) throw new Error(`redis-server exited (${started.child.exitCode})`);
      return requireReachable('redis-server', HOST, port, 500).then(
        () => true,
        () => false,
      );
    }, `redis-server on port ${port}`, 10_000);
  } catch (error) {
    await stopProcess(started);
    throw new Error(`${(error as Error).message}\n${started.output}`);
  }
}

/**
 * A standalone redis-server with extra arguments (e.g. `--requirepass`, or
 * `(dir) => ['--unixsocket', join(dir, 'redis.sock')]`), restartable on the same port.
 */
export async function startRedisServer(extraArgs: string[] | ((dir: string) => string[]) = []): Promise<RestartableRedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'connmetrics-redis-'));
  const port = await freePort(HOST);
  const args = ['--port', String(port), ...(typeof extraArgs === 'function' ? extraArgs(dir) : extraArgs)];
  let started: Started | undefined;
  const start = async () => {
    started = startProcess(args, dir);
    await waitUntilListening(started, port);
  };
  const halt = async () => {
    if (started) await stopProcess(started);
  };
  await start();
  return {
    host: HOST,
    port,
    dir,
    halt,
    start,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A redis-server that speaks only TLS, with the harness's test certificate. */
export async function startTlsRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'connmetrics-redis-tls-'));
  const port = await freePort(HOST);
  const started = startProcess(
    [
      '--port', '0',
      '--tls-port', String(port),
      '--tls-cert-file', join(certs.dir, 'server.crt'),
      '--tls-key-file', join(certs.dir, 'server.key'),
      '--tls-ca-cert-file', join(certs.dir, 'ca.crt'),
      '--tls-auth-clients', 'no',
    ],
    dir,
  );
  await waitUntilListening(started, port);
  return {
    host: HOST,
    port,
    async stop() {
      await stopProcess(started);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  readonly host: string;
  readonly ports: readonly number[];
  /** The node (port) that serves each key. */
  nodeOfKey(keys: readonly string[]): Map<string, number>;
  stop(): Promise<void>;
}

/** Three masters with `--cluster-enabled yes`, joined by `redis-cli --cluster create`. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'connmetrics-redis-cluster-'));
  const nodes: Started[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(stopProcess));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i += 1) {
      const port = await freeClusterPort(ports);
      ports.push(port);
      const started = startProcess(
        ['--port', String(port), '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)],
        dir,
      );
      nodes.push(started);
      await waitUntilListening(started, port);
    }
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`), '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    await waitFor(
      () => ports.every((port) => /cluster_state:ok/.test(redisCli(port, ['CLUSTER', 'INFO']))),
      'cluster_state:ok on every node',
      20_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: HOST,
    ports,
    nodeOfKey(keys) {
      const ranges = slotRanges(redisCli(ports[0], ['--json', 'CLUSTER', 'SLOTS']));
      const slots = redisCli(ports[0], [], keys.map((key) => `CLUSTER KEYSLOT ${key}`).join('\n') + '\n')
        .trim()
        .split('\n')
        .map(Number);
      const result = new Map<string, number>();
      keys.forEach((key, index) => {
        const range = ranges.find(([start, end]) => slots[index] >= start && slots[index] <= end);
        if (!range) throw new Error(`no node serves slot ${slots[index]}`);
        result.set(key, range[2]);
      });
      return result;
    },
    stop,
  };
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: readonly number[]): Promise<number> {
  for (let tries = 0; tries < 100; tries += 1) {
    const port = await freePort(HOST);
    if (taken.includes(port) || port + CLUSTER_BUS_OFFSET > 65535) continue;
    if (await isFree(port + CLUSTER_BUS_OFFSET)) return port;
  }
  throw new Error('no free port pair for a cluster node');
}

const CLUSTER_BUS_OFFSET = 10000;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** `[start, end, port]` of every slot range, from `CLUSTER SLOTS` as JSON. */
function slotRanges(json: string): Array<[number, number, number]> {
  const parsed = JSON.parse(json) as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
  return parsed.map(([start, end, master]) => [start, end, Number(master[1])]);
}

/**
 * A Redis Sentinel watching one master (`masterName` on `masterPort`), with a
 * quorum of 1; its configuration file lives in its own temporary directory.
 */
export async function startRedisSentinel(masterPort: number, masterName = 'mymaster'): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'connmetrics-redis-sentinel-'));
  const port = await freePort(HOST);
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [`port ${port}`, `bind ${HOST}`, `dir ${dir}`, `sentinel monitor ${masterName} ${HOST} ${masterPort} 1`, `sentinel down-after-milliseconds ${masterName} 5000`, ''].join('\n'),
  );
  const child = spawn('redis-server', [config, '--sentinel', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const started: Started = { child, output: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (started.output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (started.output += chunk));
  await waitUntilListening(started, port);
  await waitFor(() => redisCli(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]).includes(String(masterPort)), 'the sentinel to know its master', 10_000);
  return {
    host: HOST,
    port,
    async stop() {
      await stopProcess(started);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
