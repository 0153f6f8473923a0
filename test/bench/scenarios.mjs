// The benchmark scenarios. Each one sets up a real client against a real
// loopback server and returns `op`, one use of a connection (an HTTP request
// with its body read, a pooled query, a Redis command), and `teardown`.
// Libraries are required inside setup, after the mode's instrumentations are
// installed, so that require hooks see them.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** GET / through node:http with an agent; resolves when the body has been read. */
function httpGet(http, agent, port) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
      response.on('error', reject);
      response.on('end', resolve);
      response.resume();
    });
    request.on('error', reject);
    request.end();
  });
}

export const SCENARIOS = [
  {
    name: 'undici-pool',
    title: 'undici Pool, keep-alive GET',
    protocol: 'undici',
    async setup({ ports, concurrency }) {
      const { Pool } = require('undici');
      const pool = new Pool(`http://127.0.0.1:${ports.keepAlive}`, { connections: concurrency });
      return {
        async op() {
          const { body } = await pool.request({ path: '/', method: 'GET' });
          await body.text();
        },
        teardown: () => pool.close(),
      };
    },
  },
  {
    name: 'fetch',
    title: 'global fetch, keep-alive GET',
    protocol: 'undici',
    async setup({ ports }) {
      const url = `http://127.0.0.1:${ports.keepAlive}/`;
      return {
        async op() {
          const response = await fetch(url);
          await response.text();
        },
        // The global dispatcher keeps its idle connections; the server keeps them open too.
        async teardown() {},
      };
    },
  },
  {
    name: 'http-agent',
    title: 'node:http Agent, keep-alive GET',
    protocol: 'http',
    async setup({ ports, concurrency }) {
      const http = require('http');
      const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
      return {
        op: () => httpGet(http, agent, ports.keepAlive),
        async teardown() {
          agent.destroy();
        },
      };
    },
  },
  {
    name: 'http-churn',
    title: 'node:http, keep-alive off (a new connection per request)',
    protocol: 'http',
    async setup({ ports }) {
      const http = require('http');
      const agent = new http.Agent({ keepAlive: false });
      return {
        op: () => httpGet(http, agent, ports.close),
        async teardown() {
          agent.destroy();
        },
      };
    },
  },
  {
    name: 'pg-pool',
    title: 'pg Pool, SELECT 1',
    protocol: 'pg',
    async setup({ postgres, concurrency }) {
      const { Pool } = require('pg');
      const pool = new Pool({ ...postgres, max: concurrency });
      pool.on('error', () => {}); // an idle client's error must not end the benchmark
      return {
        op: () => pool.query('SELECT 1'),
        teardown: () => pool.end(),
      };
    },
  },
  {
    name: 'mysql2-pool',
    title: 'mysql2 pool, SELECT 1',
    protocol: 'mysql2',
    async setup({ mysql, concurrency }) {
      const mysql2 = require('mysql2');
      const pool = mysql2.createPool({ ...mysql, connectionLimit: concurrency });
      pool.on('error', () => {}); // an idle connection's error must not end the benchmark
      const query = () => new Promise((resolve, reject) => pool.query('SELECT 1', (error, rows) => (error ? reject(error) : resolve(rows))));
      return {
        op: query,
        teardown: () => new Promise((resolve) => pool.end(resolve)),
      };
    },
  },
  {
    name: 'postgres-pool',
    title: 'postgres.js pool, select 1',
    protocol: 'postgres',
    async setup({ postgres, concurrency }) {
      const postgresjs = require('postgres');
      const { host, port, user, password, database } = postgres;
      const sql = postgresjs({ host, port, user, pass: password, database, max: concurrency });
      return {
        op: () => sql`select 1`.execute(),
        teardown: () => sql.end(),
      };
    },
  },
  {
    name: 'ioredis-get',
    title: 'ioredis GET',
    protocol: 'ioredis',
    async setup({ redis }) {
      const Redis = require('ioredis');
      const client = new Redis({ host: redis.host, port: redis.port, lazyConnect: true, maxRetriesPerRequest: 0 });
      await client.connect();
      const key = `connmetrics:bench:${process.pid}`;
      await client.set(key, 'ok');
      return {
        op: () => client.get(key),
        async teardown() {
          await client.del(key);
          await client.quit();
        },
      };
    },
  },
  {
    name: 'node-redis-get',
    title: 'node-redis GET',
    protocol: 'redis',
    async setup({ redis }) {
      const { createClient } = require('redis');
      const client = createClient({ socket: { host: redis.host, port: redis.port, reconnectStrategy: false } });
      client.on('error', () => {});
      await client.connect();
      const key = `connmetrics:bench:node-redis:${process.pid}`;
      await client.set(key, 'ok');
      return {
        op: () => client.get(key),
        async teardown() {
          await client.del(key);
          await client.quit();
        },
      };
    },
  },
];

export const SCENARIO_NAMES = SCENARIOS.map((scenario) => scenario.name);

export function scenarioByName(name) {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}; known: ${SCENARIO_NAMES.join(', ')}`);
  return scenario;
}
