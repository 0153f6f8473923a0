// The servers the scenarios talk to, all on loopback: an HTTPS server on
// `localhost` with the test certificate, a gRPC server, PostgreSQL (the one
// configured by the PG* variables when it answers, else PGlite, an embedded
// PostgreSQL, behind a socket server) and Redis (REDIS_URL or 127.0.0.1:6379
// when it answers, else a redis-server started from the PATH, else none).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import https from 'node:https';
import { certs } from '@connmetrics/test-harness';

const require = createRequire(import.meta.url);

export async function startHttpsServer() {
  const server = https.createServer({ cert: certs.serverCert, key: certs.serverKey }, (request, response) => {
    request.resume();
    request.on('end', () => response.end('ok'));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, 'localhost', resolve));
  return {
    target: { host: 'localhost', port: server.address().port },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A unary gRPC method that answers with what it got; raw bytes, so no .proto file is needed. */
export const ECHO_SERVICE = {
  echo: {
    path: '/connmetrics.demo.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value) => value,
    requestDeserialize: (value) => value,
    responseSerialize: (value) => value,
    responseDeserialize: (value) => value,
  },
};

export async function startGrpcServer() {
  const grpc = require('@grpc/grpc-js');
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, { echo: (call, callback) => callback(null, call.request) });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('localhost:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    target: { host: 'localhost', port },
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** Resolves true when host:port accepts a TCP connection within `timeoutMs`. */
function reachable(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => done(true));
  });
}

/**
 * PostgreSQL: the configured server when a client can log in, else PGlite.
 * `mode` is 'auto' or 'embedded' (always PGlite).
 */
export async function startPostgres(mode = 'auto') {
  if (mode !== 'embedded') {
    const config = {
      host: process.env.PGHOST ?? '127.0.0.1',
      port: Number(process.env.PGPORT ?? 5432),
      user: process.env.PGUSER ?? 'postgres',
      password: process.env.PGPASSWORD,
      database: process.env.PGDATABASE ?? 'postgres',
    };
    const problem = await canLogIn(config);
    if (!problem) {
      return { target: { host: config.host, port: config.port }, login: config, description: `PostgreSQL at ${config.host}:${config.port}`, close: async () => {} };
    }
    console.log(`  PostgreSQL at ${config.host}:${config.port}: ${problem}; using an embedded PostgreSQL (PGlite) instead.`);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create();
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 8 });
  await server.start();
  return {
    target: { host: '127.0.0.1', port },
    login: { user: 'postgres', database: 'postgres' },
    description: 'embedded PostgreSQL (PGlite)',
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

/**
 * MySQL/MariaDB: MYSQL_HOST/MYSQL_PORT/MYSQL_USER/MYSQL_PASSWORD/MYSQL_DATABASE (default root@127.0.0.1:3306/test)
 * when it answers and lets the user in, else none: no MySQL server can be embedded.
 */
export async function startMysql() {
  const config = {
    host: process.env.MYSQL_HOST ?? '127.0.0.1',
    port: Number(process.env.MYSQL_PORT ?? 3306),
    user: process.env.MYSQL_USER ?? 'root',
    password: process.env.MYSQL_PASSWORD || undefined,
    database: process.env.MYSQL_DATABASE ?? 'test',
  };
  if (!(await reachable(config.host, config.port))) return { skipped: `no MySQL server answers at ${config.host}:${config.port} (MYSQL_HOST, MYSQL_PORT)` };
  const mysql = require('mysql2/promise');
  try {
    const connection = await mysql.createConnection({ ...config, connectTimeout: 3000 });
    await connection.end();
  } catch (error) {
    return { skipped: `the MySQL server at ${config.host}:${config.port} does not let ${config.user} in (${error.code ?? error.message})` };
  }
  return { target: { host: config.host, port: config.port }, login: config, description: `MySQL at ${config.host}:${config.port}`, close: async () => {} };
}

async function canLogIn(config) {
  if (!(await reachable(config.host, config.port))) return 'not reachable';
  const pg = require('pg');
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `cannot log in (${error.code ?? error.message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Redis: REDIS_URL (or 127.0.0.1:6379) when it answers, else redis-server
 * from the PATH on a free port, else undefined with the reason.
 * `mode` is 'auto', 'spawn' (always start redis-server) or 'off'.
 */
export async function startRedis(mode = 'auto') {
  if (mode === 'off') return { skipped: 'turned off with --redis=off' };
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const configured = { host: url.hostname, port: Number(url.port || 6379) };
  if (mode !== 'spawn' && (await reachable(configured.host, configured.port))) {
    return { target: configured, description: `Redis at ${configured.host}:${configured.port}`, close: async () => {} };
  }
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { skipped: `no Redis server answers at ${configured.host}:${configured.port} and redis-server is not on the PATH` };
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await reachable('127.0.0.1', port, 200))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      return { skipped: `redis-server did not start on port ${port}` };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    target: { host: '127.0.0.1', port },
    description: `redis-server started on port ${port}`,
    close: async () => {
      child.kill();
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}
