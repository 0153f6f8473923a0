/*
 * A redis-server of the suite's own, on a free loopback port and a Unix
 * socket in a temporary directory, that a test may stop and start again on
 * the same addresses (a full restart). Never the machine's shared Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireReachable, waitFor } from '@connmetrics/test-harness';

export interface OwnRedisServer {
  readonly host: string;
  readonly port: number;
  /** The Unix socket it also listens on. */
  readonly socketPath: string;
  /** Stops the process (SIGTERM, then SIGKILL) and waits until it exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and socket; resolves once it accepts connections. */
  start(): Promise<void>;
  /** stop() and removes its directory. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startOwnRedisServer(): Promise<OwnRedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'connmetrics-reliability-redis-'));
  const port = await freePort(HOST);
  const socketPath = join(dir, 'redis.sock');
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    output = '';
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', HOST, '--unixsocket', socketPath, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    started.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    started.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child = started;
    try {
      await waitFor(
        async () => {
          if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}`);
          return requireReachable('redis-server', HOST, port, 500).then(
            () => true,
            () => false,
          );
        },
        `redis-server on ${HOST}:${port}`,
        10_000,
      );
    } catch (error) {
      await stop();
      throw new Error(`${(error as Error).message}\n${output}`);
    }
  };

  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
      running.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      running.kill('SIGTERM');
    });
  };

  await start();
  return {
    host: HOST,
    port,
    socketPath,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
