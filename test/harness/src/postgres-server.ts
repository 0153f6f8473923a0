/*
 * A PostgreSQL server of the test's own, on a spare loopback port, for what
 * the shared server cannot show: TLS (a fresh Debian cluster runs with
 * ssl = off), password authentication (the shared server trusts every local
 * connection) and restarts (the shared server is never restarted). Run as the
 * `postgres` OS user with initdb and pg_ctl; `stop()` removes it and its data
 * directory.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certs } from './certs';
import { freePort } from './ports';

const run = promisify(execFile);

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** A role that must authenticate with SCRAM-SHA-256 and PASSWORD. */
  readonly user: string;
  readonly password: string;
  /** The superuser, trusted from 127.0.0.1 (no password). */
  readonly superuser: string;
  readonly database: string;
  /** `pg_ctl restart -m fast`: every backend is terminated, the server stops and starts again. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Serve TLS with the harness's test certificate (CN localhost, 127.0.0.1). */
  ssl?: boolean;
}

const OS_USER = 'postgres';
const ROLE = 'connmetrics_app';
const PASSWORD = 'connmetrics-test-password';

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

async function asPostgres(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('runuser', ['-u', OS_USER, '--', command, ...args], { timeout: 60_000 });
    return stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

async function idOf(flag: '-u' | '-g'): Promise<number> {
  const { stdout } = await run('id', [flag, OS_USER]);
  return Number(stdout.trim());
}

export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBin();
  const [uid, gid] = [await idOf('-u'), await idOf('-g')];
  const root = mkdtempSync(join(tmpdir(), 'connmetrics-pg-'));
  chownSync(root, uid, gid);
  const data = join(root, 'data');
  const port = await freePort();
  await asPostgres(join(bin, 'initdb'), ['-D', data, '-U', OS_USER, '--auth=trust', '--no-sync', '--no-instructions']);
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all all trust',
      `host all ${OS_USER} 127.0.0.1/32 trust`,
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  );
  const settings = [
    `port=${port}`,
    "listen_addresses='127.0.0.1'",
    `unix_socket_directories='${root}'`,
    'fsync=off',
    'max_connections=50',
    "password_encryption='scram-sha-256'",
  ];
  if (options.ssl) {
    for (const [from, to] of [
      [join(certs.dir, 'server.crt'), 'server.crt'],
      [join(certs.dir, 'server.key'), 'server.key'],
    ] as const) {
      copyFileSync(from, join(data, to));
      chownSync(join(data, to), uid, gid);
      chmodSync(join(data, to), 0o600);
    }
    settings.push('ssl=on', "ssl_cert_file='server.crt'", "ssl_key_file='server.key'");
  }
  writeFileSync(join(data, 'postgresql.auto.conf'), settings.join('\n') + '\n');
  for (const file of ['pg_hba.conf', 'postgresql.auto.conf']) chownSync(join(data, file), uid, gid);
  const ctl = (...args: string[]) =>
    asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', join(root, 'server.log'), '-w', '-t', '30', ...args]);
  await ctl('start');
  const stop = async () => {
    try {
      await ctl('-m', 'immediate', 'stop');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    await asPostgres(join(bin, 'psql'), [
      '-h', root, '-p', String(port), '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc',
      `CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`,
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    user: ROLE,
    password: PASSWORD,
    superuser: OS_USER,
    database: 'postgres',
    restart: async () => {
      await ctl('-m', 'fast', 'restart');
    },
    stop,
  };
}
