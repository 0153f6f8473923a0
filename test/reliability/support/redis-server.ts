/*
 * A redis-server of the suite's own (the harness's), also listening on a Unix
 * socket in its directory, that a test may stop and start again on the same
 * addresses (a full restart). Never the machine's shared Redis.
 */
import { join } from 'node:path';
import { startRedisServer } from '@connmetrics/test-harness';

export interface OwnRedisServer {
  readonly host: string;
  readonly port: number;
  /** The Unix socket it also listens on. */
  readonly socketPath: string;
  /** Stops the process and waits until it exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and socket; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

export async function startOwnRedisServer(): Promise<OwnRedisServer> {
  let socketPath = '';
  const server = await startRedisServer((dir) => {
    socketPath = join(dir, 'redis.sock');
    return ['--unixsocket', socketPath, '--unixsocketperm', '700'];
  });
  return { host: server.host, port: server.port, socketPath, stop: server.halt, start: server.start, close: server.stop };
}
