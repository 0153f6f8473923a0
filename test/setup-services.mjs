// What the suite needs beyond Node, made sure of before any test runs (the
// first step of `pnpm test`, so a fresh machine needs no manual step):
// PostgreSQL, Redis and MariaDB started when they are down on this machine and
// waited for until each answers its own protocol; Prometheus (Debian's
// package) installed when it is missing, as root or with sudo, otherwise one
// message naming the command to run. Servers the environment variables place
// on another host are only waited for, never started.
//
// Runs on the machine's own Node (which runs `pnpm test`), so no dependencies.
// `node test/setup-services.mjs` alone does the same. Exit code 1 when a
// server cannot be made to answer; a missing Prometheus is reported and left
// to the one test that needs it, so a run of other tests is not blocked.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';

const WAIT_MS = Number(process.env.CONNMETRICS_SETUP_WAIT_MS ?? 60_000);
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '']);

function log(message) {
  console.log(`setup: ${message}`);
}

/** Opens host:port (or a Unix socket path), sends `hello`, resolves with the first bytes answered, or null. */
function exchange({ host, port }, hello, timeoutMs = 2_000) {
  return new Promise((resolve) => {
    const socket = host.startsWith('/') ? connect({ path: `${host}/.s.PGSQL.${port}` }) : connect({ host, port });
    let data = Buffer.alloc(0);
    const done = (value) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(data.length > 0 ? data : null));
    socket.once('error', () => done(null));
    socket.once('connect', () => {
      if (hello) socket.write(hello);
    });
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 5) done(data);
    });
    socket.once('end', () => done(data.length > 0 ? data : null));
  });
}

/** PostgreSQL answers a startup message with an authentication request ('R') once it accepts sessions. */
async function postgresAnswers(address) {
  const fields = Buffer.from(`user\0${address.user}\0database\0${address.database}\0\0`);
  const startup = Buffer.alloc(8 + fields.length);
  startup.writeInt32BE(startup.length, 0);
  startup.writeInt32BE(196608, 4); // protocol 3.0
  fields.copy(startup, 8);
  const reply = await exchange(address, startup);
  // 'E' while starting up (57P03) or for a missing database: not ready for the suite.
  return reply !== null && reply[0] === 0x52;
}

/** Redis answers PING with +PONG (or -NOAUTH when a password is set: it is up). */
async function redisAnswers(address) {
  const reply = await exchange(address, Buffer.from('*1\r\n$4\r\nPING\r\n'));
  if (reply === null) return false;
  const text = reply.toString('latin1');
  return text.startsWith('+PONG') || text.startsWith('-NOAUTH');
}

/** MariaDB/MySQL greets with a handshake packet of protocol 10 (an error packet, 0xff, while it cannot serve). */
async function mariadbAnswers(address) {
  const reply = await exchange(address, null);
  return reply !== null && reply.length >= 5 && reply[4] === 0x0a;
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return { ok: !result.error && result.status === 0, output: result.error ? result.error.message : output };
}

function shellWords(command, args) {
  return [command, ...args].map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

async function waitUntil(answers, address) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (await answers(address)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function isLocal(host) {
  return LOCAL_HOSTS.has(host) || host.startsWith('/');
}

const services = [
  {
    name: 'PostgreSQL',
    address: {
      host: process.env.PGHOST ?? '127.0.0.1',
      port: Number(process.env.PGPORT ?? 5432),
      user: process.env.PGUSER ?? 'postgres',
      database: process.env.PGDATABASE ?? 'test',
    },
    answers: postgresAnswers,
    start() {
      const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort() : [];
      if (versions.length === 0) return { command: 'pg_ctlcluster', args: [], missing: 'no cluster under /etc/postgresql' };
      return { command: 'pg_ctlcluster', args: ['--skip-systemctl-redirect', versions[0], 'main', 'start'] };
    },
  },
  {
    name: 'Redis',
    address: (() => {
      const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      return { host: url.hostname, port: Number(url.port || 6379) };
    })(),
    answers: redisAnswers,
    start(address) {
      for (const dir of ['/var/lib/redis', '/var/log/redis']) mkdirSync(dir, { recursive: true });
      return {
        command: 'redis-server',
        args: [
          '--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', String(address.port),
          '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log',
        ],
      };
    },
  },
  {
    name: 'MariaDB',
    address: { host: process.env.MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.MYSQL_PORT ?? 3306) },
    answers: mariadbAnswers,
    start() {
      return { command: 'start-stop-daemon', args: ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'] };
    },
  },
];

async function ensureService(service) {
  const { name, address } = service;
  const where = `${address.host}:${address.port}`;
  if (await service.answers(address)) {
    log(`${name} answers at ${where}`);
    return true;
  }
  if (!isLocal(address.host)) {
    log(`${name} does not answer at ${where} (not this machine: waiting, not starting it)`);
  } else {
    let step;
    try {
      step = service.start(address);
    } catch (error) {
      step = { command: service.name, args: [], missing: error.message };
    }
    const line = shellWords(step.command, step.args);
    if (step.missing) {
      log(`${name} is down at ${where} and cannot be started here: ${step.missing}`);
      return false;
    }
    log(`${name} is down at ${where}: ${line}`);
    const result = run(step.command, step.args);
    if (!result.ok) log(`${name}: "${line}" failed${result.output ? `: ${result.output}` : ''}`);
  }
  if (await waitUntil(service.answers, address)) {
    log(`${name} answers at ${where}`);
    return true;
  }
  log(
    `${name} does not answer at ${where} after ${WAIT_MS / 1000} s. Start it, or point the tests at one ` +
      'with the environment variables (see README.md).',
  );
  return false;
}

function prometheusInstalled() {
  const binary = process.env.PROMETHEUS_BIN ?? 'prometheus';
  const probe = run(binary, ['--version']);
  return probe.ok ? probe.output.split('\n')[0] : null;
}

function ensurePrometheus() {
  const found = prometheusInstalled();
  if (found) {
    log(`Prometheus: ${found}`);
    return true;
  }
  const install = ['apt-get', 'install', '-y', '--no-install-recommends', 'prometheus'];
  const command = `apt-get update && DEBIAN_FRONTEND=noninteractive ${install.join(' ')}`;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = !root && run('sudo', ['-n', 'true']).ok;
  if (!root && !sudo) {
    log(`Prometheus is missing (one test runs a real server). Install it with: sudo sh -c '${command}'`);
    return false;
  }
  const prefix = root ? [] : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
  log(`Prometheus is missing: ${root ? '' : 'sudo '}${command}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['apt-get', 'update'], install]) {
    const [cmd, ...rest] = [...prefix, ...args];
    const result = spawnSync(cmd, rest, { stdio: 'inherit', env });
    if (result.status !== 0) {
      log(`Prometheus: "${[cmd, ...rest].join(' ')}" failed. Install it with: sudo sh -c '${command}'`);
      return false;
    }
  }
  const installed = prometheusInstalled();
  log(installed ? `Prometheus: ${installed}` : `Prometheus still missing after ${command}`);
  return installed !== null;
}

export async function setupServices() {
  const started = Date.now();
  const results = [];
  for (const service of services) results.push(await ensureService(service));
  ensurePrometheus();
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return results.every(Boolean);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exit((await setupServices()) ? 0 : 1);
}
