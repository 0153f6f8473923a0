// The scenarios: the same operations, done once without connection reuse
// (the way it often happens in real code) and once with it. Each variant
// receives the address to use (the latency proxy in front of the server),
// the number of operations, and a callback to call after each one.
import { createRequire } from 'node:module';
import https from 'node:https';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ECHO_SERVICE } from './servers.mjs';

// CommonJS loading, so that the instrumentations' module patches apply
// (the demo starts them before anything below is required).
const require = createRequire(import.meta.url);

async function httpsGet(url, agent) {
  await new Promise((resolve, reject) => {
    https
      .get(url, { agent }, (response) => {
        response.resume();
        response.on('end', resolve);
      })
      .on('error', reject);
  });
  // The Agent frees the socket a moment after the response ends; a request
  // sent in the same turn would sometimes find no free socket and open another.
  await nextTurn();
}

async function repeat(count, onDone, operation) {
  for (let i = 0; i < count; i += 1) {
    await operation(i);
    onDone();
  }
}

/** @type {Array<{ id: string, title: string, server: 'https' | 'postgres' | 'mysql' | 'redis' | 'grpc', without: Variant, with: Variant }>} */
export const SCENARIOS = [
  {
    id: 'fetch',
    title: 'global fetch',
    server: 'https',
    without: {
      how: 'Connection: close on each request',
      run: ({ origin }, count, onDone) =>
        repeat(count, onDone, async () => {
          const response = await fetch(`${origin}/`, { headers: { connection: 'close' } });
          await response.text();
        }),
    },
    with: {
      how: 'keep-alive (the default)',
      run: ({ origin }, count, onDone) =>
        repeat(count, onDone, async () => {
          const response = await fetch(`${origin}/`);
          await response.text();
          // undici puts the connection back in its pool a turn after the body
          // ends; a request sent in the same turn would open another one.
          await nextTurn();
        }),
    },
  },
  {
    id: 'undici',
    title: 'undici Pool',
    server: 'https',
    without: {
      how: 'a new Pool per request',
      run: ({ origin }, count, onDone) => {
        const { Pool } = require('undici');
        return repeat(count, onDone, async () => {
          const pool = new Pool(origin);
          const { body } = await pool.request({ path: '/', method: 'GET' });
          await body.text();
          await pool.close();
        });
      },
    },
    with: {
      how: 'one shared Pool',
      run: async ({ origin }, count, onDone) => {
        const { Pool } = require('undici');
        const pool = new Pool(origin);
        await repeat(count, onDone, async () => {
          const { body } = await pool.request({ path: '/', method: 'GET' });
          await body.text();
          await nextTurn(); // as for fetch: let the connection return to the pool
        });
        await pool.close();
      },
    },
  },
  {
    id: 'https',
    title: 'https Agent',
    server: 'https',
    without: {
      how: 'keepAlive: false',
      run: async ({ origin }, count, onDone) => {
        const agent = new https.Agent({ keepAlive: false });
        await repeat(count, onDone, () => httpsGet(`${origin}/`, agent));
        agent.destroy();
      },
    },
    with: {
      how: 'keepAlive: true',
      run: async ({ origin }, count, onDone) => {
        const agent = new https.Agent({ keepAlive: true });
        await repeat(count, onDone, () => httpsGet(`${origin}/`, agent));
        agent.destroy();
      },
    },
  },
  {
    id: 'axios',
    title: 'axios',
    server: 'https',
    without: {
      how: 'an https.Agent with keepAlive: false',
      run: async ({ origin }, count, onDone) => {
        const axios = require('axios');
        const httpsAgent = new https.Agent({ keepAlive: false });
        await repeat(count, onDone, () => axios.get(`${origin}/`, { httpsAgent }));
        httpsAgent.destroy();
      },
    },
    with: {
      how: 'an https.Agent with keepAlive: true',
      run: async ({ origin }, count, onDone) => {
        const axios = require('axios');
        const httpsAgent = new https.Agent({ keepAlive: true });
        await repeat(count, onDone, async () => {
          await axios.get(`${origin}/`, { httpsAgent });
          await nextTurn(); // as for the https Agent
        });
        httpsAgent.destroy();
      },
    },
  },
  {
    id: 'pg',
    title: 'pg',
    server: 'postgres',
    without: {
      how: 'a new Client per query',
      run: ({ host, port, login }, count, onDone) => {
        const pg = require('pg');
        return repeat(count, onDone, async () => {
          const client = new pg.Client({ ...login, host, port });
          await client.connect();
          await client.query('SELECT 1');
          await client.end();
        });
      },
    },
    with: {
      how: 'one Pool',
      run: async ({ host, port, login }, count, onDone) => {
        const pg = require('pg');
        const pool = new pg.Pool({ ...login, host, port });
        await repeat(count, onDone, () => pool.query('SELECT 1'));
        await pool.end();
      },
    },
  },
  {
    id: 'postgres',
    title: 'postgres.js',
    server: 'postgres',
    without: {
      how: 'a new sql instance per query',
      run: ({ host, port, login }, count, onDone) => {
        const postgres = require('postgres');
        return repeat(count, onDone, async () => {
          const sql = postgres({ ...login, host, port, max: 1, onnotice: () => {} });
          await sql`select 1`;
          await sql.end();
        });
      },
    },
    with: {
      how: 'one sql instance (its pool)',
      run: async ({ host, port, login }, count, onDone) => {
        const postgres = require('postgres');
        const sql = postgres({ ...login, host, port, onnotice: () => {} });
        await repeat(count, onDone, () => sql`select 1`);
        await sql.end();
      },
    },
  },
  {
    id: 'mysql2',
    title: 'mysql2',
    server: 'mysql',
    without: {
      how: 'a new connection per query',
      run: ({ host, port, login }, count, onDone) => {
        const mysql = require('mysql2/promise');
        return repeat(count, onDone, async () => {
          const connection = await mysql.createConnection({ ...login, host, port });
          await connection.query('SELECT 1');
          await connection.end();
        });
      },
    },
    with: {
      how: 'one pool',
      run: async ({ host, port, login }, count, onDone) => {
        const mysql = require('mysql2/promise');
        const pool = mysql.createPool({ ...login, host, port });
        await repeat(count, onDone, () => pool.query('SELECT 1'));
        await pool.end();
      },
    },
  },
  {
    id: 'redis',
    title: 'Redis (ioredis)',
    server: 'redis',
    without: {
      how: 'a new connection per command',
      run: ({ host, port }, count, onDone) => {
        const Redis = require('ioredis');
        return repeat(count, onDone, async () => {
          const redis = new Redis({ host, port, maxRetriesPerRequest: 1 });
          await redis.ping();
          await redis.quit();
        });
      },
    },
    with: {
      how: 'one shared client',
      run: async ({ host, port }, count, onDone) => {
        const Redis = require('ioredis');
        const redis = new Redis({ host, port, maxRetriesPerRequest: 1 });
        await repeat(count, onDone, () => redis.ping());
        await redis.quit();
      },
    },
  },
  {
    id: 'node-redis',
    title: 'Redis (node-redis)',
    server: 'redis',
    without: {
      how: 'a new client per command',
      run: ({ host, port }, count, onDone) => {
        const { createClient } = require('redis');
        return repeat(count, onDone, async () => {
          const client = await createClient({ socket: { host, port, reconnectStrategy: false } }).connect();
          await client.ping();
          await client.close();
        });
      },
    },
    with: {
      how: 'one shared client',
      run: async ({ host, port }, count, onDone) => {
        const { createClient } = require('redis');
        const client = await createClient({ socket: { host, port, reconnectStrategy: false } }).connect();
        await repeat(count, onDone, () => client.ping());
        await client.close();
      },
    },
  },
  {
    id: 'grpc',
    title: 'gRPC (grpc-js)',
    server: 'grpc',
    without: {
      how: 'a new channel per call',
      run: ({ host, port }, count, onDone) => {
        const grpc = require('@grpc/grpc-js');
        const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
        return repeat(count, onDone, async () => {
          // Without a channel-local subchannel pool, grpc-js would quietly
          // share one connection between clients of the same target.
          const client = new Client(`${host}:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
          await unary(client, Buffer.from('ping'));
          client.close();
        });
      },
    },
    with: {
      how: 'one channel',
      run: async ({ host, port }, count, onDone) => {
        const grpc = require('@grpc/grpc-js');
        const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
        const client = new Client(`${host}:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
        await repeat(count, onDone, () => unary(client, Buffer.from('ping')));
        client.close();
      },
    },
  },
];

function unary(client, message) {
  return new Promise((resolve, reject) => client.echo(message, (error, reply) => (error ? reject(error) : resolve(reply))));
}
