/*
 * A MariaDB server of the test's own, on a spare loopback port, for what the
 * shared server cannot show: TLS (the shared server runs with have_ssl =
 * DISABLED). Set up with mariadb-install-db and run as the `mysql` OS user;
 * `stop()` ends it and removes its data directory.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certs } from './certs';
import { freePort } from './ports';
import { requireReachable } from './services';

const run = promisify(execFile);

export interface MariaDbServer {
  readonly host: string;
  readonly port: number;
  /** root, trusted from 127.0.0.1 with an empty password. */
  readonly user: string;
  readonly database: string;
  stop(): Promise<void>;
}

export interface MariaDbServerOptions {
  /** Serve TLS with the harness's test certificate (CN localhost, 127.0.0.1), signed by `certs.ca`. */
  ssl?: boolean;
}

const OS_USER = 'mysql';
const MARIADBD = process.env.MARIADBD ?? '/usr/sbin/mariadbd';
const INSTALL_DB = process.env.MARIADB_INSTALL_DB ?? 'mariadb-install-db';

async function idOf(flag: '-u' | '-g'): Promise<number> {
  const { stdout } = await run('id', [flag, OS_USER]);
  return Number(stdout.trim());
}

export async function startMariaDbServer(options: MariaDbServerOptions = {}): Promise<MariaDbServer> {
  const [uid, gid] = [await idOf('-u'), await idOf('-g')];
  const root = mkdtempSync(join(tmpdir(), 'connmetrics-mariadb-'));
  chownSync(root, uid, gid);
  const data = join(root, 'data');
  const port = await freePort();
  try {
    await run(INSTALL_DB, [`--user=${OS_USER}`, `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'], {
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    const { stderr } = error as { stderr?: string };
    throw new Error(`${INSTALL_DB} failed (install mariadb-server, or set MARIADB_INSTALL_DB): ${stderr ?? String(error)}`);
  }
  const args = [
    '--no-defaults',
    `--user=${OS_USER}`,
    `--datadir=${data}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(root, 'mariadb.sock')}`,
    `--pid-file=${join(root, 'mariadb.pid')}`,
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=16M',
  ];
  if (options.ssl) {
    for (const name of ['server.crt', 'server.key', 'ca.crt']) {
      copyFileSync(join(certs.dir, name), join(root, name));
      chownSync(join(root, name), uid, gid);
    }
    args.push(`--ssl-cert=${join(root, 'server.crt')}`, `--ssl-key=${join(root, 'server.key')}`, `--ssl-ca=${join(root, 'ca.crt')}`);
  }
  const server: ChildProcess = spawn(MARIADBD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) {
      await stop();
      throw new Error(`mariadbd exited with ${server.exitCode}:\n${log}`);
    }
    try {
      await requireReachable('MariaDB (test server)', '127.0.0.1', port, 1000);
      if (log.includes('ready for connections')) break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { host: '127.0.0.1', port, user: 'root', database: 'mysql', stop };
}
