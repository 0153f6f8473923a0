/*
 * A PostgreSQL cluster of the suite's own (initdb, pg_ctl, as the `postgres`
 * OS user) on a spare loopback port, that a test may restart: the machine's
 * shared server is never restarted. Trusts every local connection.
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@connmetrics/test-harness';

const run = promisify(execFile);
const OS_USER = 'postgres';

export interface OwnPostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** `pg_ctl restart -m fast`: every backend is terminated, the server stops and starts again. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory, or PG_BIN. */
function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`no PostgreSQL under ${root}: install postgresql or set PG_BIN`);
  return join(root, versions[0]!, 'bin');
}

async function asPostgres(command: string, args: string[]): Promise<void> {
  try {
    await run('runuser', ['-u', OS_USER, '--', command, ...args], { timeout: 60_000 });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

export async function startOwnPostgresServer(): Promise<OwnPostgresServer> {
  const bin = postgresBin();
  const uid = Number((await run('id', ['-u', OS_USER])).stdout.trim());
  const gid = Number((await run('id', ['-g', OS_USER])).stdout.trim());
  const root = mkdtempSync(join(tmpdir(), 'connmetrics-reliability-pg-'));
  chownSync(root, uid, gid);
  const data = join(root, 'data');
  const port = await freePort();
  await asPostgres(join(bin, 'initdb'), ['-D', data, '-U', OS_USER, '--auth=trust', '--no-sync', '--no-instructions']);
  const settings = [`port=${port}`, "listen_addresses='127.0.0.1'", `unix_socket_directories='${root}'`, 'fsync=off', 'max_connections=20'];
  writeFileSync(join(data, 'postgresql.auto.conf'), settings.join('\n') + '\n');
  chownSync(join(data, 'postgresql.auto.conf'), uid, gid);
  const ctl = (...args: string[]) => asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', join(root, 'server.log'), '-w', '-t', '30', ...args]);
  await ctl('start');
  return {
    host: '127.0.0.1',
    port,
    user: OS_USER,
    database: 'postgres',
    restart: () => ctl('-m', 'fast', 'restart'),
    async close() {
      try {
        await ctl('-m', 'immediate', 'stop');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
