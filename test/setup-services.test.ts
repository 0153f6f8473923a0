/*
 * The set-up step of `pnpm test` (test/setup-services.mjs) when servers are
 * down, without touching the shared ones: it is pointed at free loopback
 * ports. Redis is really started there (on that port) and answers; the
 * PostgreSQL and MariaDB start commands are fakes on the PATH that record
 * how they were called, so those two stay down and the step says so and
 * fails. A server that answers is left alone.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisCli } from './harness';

const SETUP = join(__dirname, 'setup-services.mjs');

function runSetup(env: NodeJS.ProcessEnv) {
  const run = spawnSync(process.execPath, [SETUP], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: run.status, lines: run.stdout.trim().split('\n') };
}

test('servers that are down are started with the documented commands and waited for; one that stays down fails the step', async () => {
  const [pgPort, redisPort, mysqlPort] = [await freePort(), await freePort(), await freePort()];
  const bin = mkdtempSync(join(tmpdir(), 'connmetrics-setup-bin-'));
  const calls = join(bin, 'calls.log');
  for (const command of ['pg_ctlcluster', 'start-stop-daemon']) {
    writeFileSync(join(bin, command), `#!/bin/sh\necho "${command} $*" >> ${calls}\n`);
    chmodSync(join(bin, command), 0o755);
  }
  try {
    const { code, lines } = runSetup({
      PATH: `${bin}:${process.env.PATH}`,
      PGHOST: '127.0.0.1',
      PGPORT: String(pgPort),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      MYSQL_HOST: '127.0.0.1',
      MYSQL_PORT: String(mysqlPort),
      CONNMETRICS_SETUP_WAIT_MS: '1500',
    });
    const cluster = readdirSync('/etc/postgresql').sort()[0];
    expect(code).toBe(1);
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
      `pg_ctlcluster --skip-systemctl-redirect ${cluster} main start`,
      'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
    ]);
    expect(lines.filter((line) => !line.startsWith('setup: Prometheus') && !line.startsWith('setup: done'))).toEqual([
      `setup: PostgreSQL is down at 127.0.0.1:${pgPort}: pg_ctlcluster --skip-systemctl-redirect ${cluster} main start`,
      `setup: PostgreSQL does not answer at 127.0.0.1:${pgPort} after 1.5 s. Start it, or point the tests at one with the environment variables (see README.md).`,
      `setup: Redis is down at 127.0.0.1:${redisPort}: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port ${redisPort} --save '' --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log`,
      `setup: Redis answers at 127.0.0.1:${redisPort}`,
      `setup: MariaDB is down at 127.0.0.1:${mysqlPort}: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`,
      `setup: MariaDB does not answer at 127.0.0.1:${mysqlPort} after 1.5 s. Start it, or point the tests at one with the environment variables (see README.md).`,
    ]);
    // The Redis it started is a real one, on the port asked for.
    expect(redisCli(redisPort, ['PING']).trim()).toBe('PONG');

    // Run again: the Redis that answers now is left alone (no second start).
    const again = runSetup({ REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    expect(again.lines).toContain(`setup: Redis answers at 127.0.0.1:${redisPort}`);
    expect(again.lines.filter((line) => line.includes('is down'))).toEqual([]);
  } finally {
    try {
      redisCli(redisPort, ['SHUTDOWN', 'NOSAVE']);
    } catch {
      // SHUTDOWN closes the connection before any reply.
    }
    rmSync(bin, { recursive: true, force: true });
  }
});
