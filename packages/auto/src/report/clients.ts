/*
 * The fixes in the words of the client at hand: which option of which object
 * to change. Keyed by the instrumentation scope that recorded the row.
 */

export interface ClientWords {
  /** How the report names the client. */
  readonly name: string;
  /** The fix when connections are not reused. */
  readonly share: string;
  /** The fix when the server closes idle connections first; `limit` is e.g. "5 s". */
  idleTimeout(limit: string): string;
  /** The fix when uses wait for a connection. */
  readonly raise: string;
}

const GENERIC: ClientWords = {
  name: 'client',
  share: 'create the client (or pool) once and share it instead of one per use',
  idleTimeout: (limit) => `make the client close idle connections before ${limit}`,
  raise: 'allow the pool more connections',
};

const CLIENTS: Readonly<Record<string, ClientWords>> = {
  '@connmetrics/instrumentation-undici': {
    name: 'undici',
    share: 'share one undici `Agent`/`Pool` (or the global dispatcher) across requests instead of one per request, and do not send `connection: close`',
    idleTimeout: (limit) => `set \`keepAliveTimeout\` below ${limit} on the undici \`Agent\`/\`Pool\` (\`keepAliveMaxTimeout\` caps what the server's Keep-Alive hint may raise it to)`,
    raise: 'raise `connections` on the undici `Pool`/`Agent`',
  },
  '@connmetrics/instrumentation-http': {
    name: 'node:http',
    share: 'share one `http.Agent({ keepAlive: true })` across requests (pass it as `agent`)',
    // Node's agent destroys an idle socket on the server's FIN without saying why, so the application's own
    // agent.destroy() of idle sockets looks the same (the close-reason table of the http README).
    idleTimeout: (limit) =>
      `give the agent a \`timeout\` below ${limit}: \`new http.Agent({ keepAlive: true, timeout: … })\` closes sockets idle that long (unless these closes were the application's own \`agent.destroy()\`, which node:http reports as the server's)`,
    raise: 'raise the agent\'s `maxSockets`',
  },
  '@connmetrics/instrumentation-pg': {
    name: 'pg',
    share: 'share one `pg.Pool` instead of a `new Client()` per query',
    idleTimeout: (limit) => `set the Pool's \`idleTimeoutMillis\` below ${limit}`,
    raise: 'raise the Pool\'s `max` (or hold clients for shorter)',
  },
  '@connmetrics/instrumentation-ioredis': {
    name: 'ioredis',
    share: 'create one `Redis` client at start-up and reuse it for every command',
    idleTimeout: (limit) => `the server's \`timeout\` setting closes idle clients after ${limit}: set it to 0 or above the longest quiet period`,
    raise: 'use more connections (a second client for blocking commands)',
  },
  '@connmetrics/instrumentation-redis': {
    name: 'node-redis',
    share: 'create one client (`createClient()` or `createClientPool()`) at start-up and reuse it',
    idleTimeout: (limit) => `set \`pingInterval\` below ${limit}, or the server's \`timeout\` to 0`,
    raise: 'raise the client pool\'s `maximum`',
  },
  '@connmetrics/instrumentation-mysql2': {
    name: 'mysql2',
    share: 'use one `mysql.createPool()` instead of a connection per query',
    idleTimeout: (limit) => `set the pool's \`idleTimeout\` below ${limit} (the server's \`wait_timeout\`)`,
    raise: 'raise the pool\'s `connectionLimit`',
  },
  '@connmetrics/instrumentation-postgres': {
    name: 'postgres.js',
    share: 'create one `sql = postgres(…)` at start-up and reuse it',
    idleTimeout: (limit) => `set \`idle_timeout\` (seconds) below ${limit}`,
    raise: 'raise `max`',
  },
  '@connmetrics/instrumentation-grpc': {
    name: 'grpc-js',
    share: 'create one client (channel) per target and reuse it for every call',
    idleTimeout: (limit) => `set \`grpc.client_idle_timeout_ms\` below ${limit}, or keepalive pings (\`grpc.keepalive_time_ms\`)`,
    raise: 'spread calls over more channels (`grpc.use_local_subchannel_pool`)',
  },
};

export function clientWords(scope: string): ClientWords {
  return CLIENTS[scope] ?? { ...GENERIC, name: scope.replace(/^@connmetrics\/instrumentation-/, '') };
}
