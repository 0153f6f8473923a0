/* The pure parts, in process: error types, where a client or pool connects, pool names. */
import { isFatalServerError, isPoolTimeout, pgErrorType } from '../src/error-type';
import { clientTarget, defaultPoolName, poolOptionsTarget } from '../src/server-target';
import type { PgClient } from '../src/internal-types';

describe('error.type', () => {
  test('SQLSTATE and socket codes pass through; pg’s code-less errors get a short name', () => {
    expect(pgErrorType(Object.assign(new Error('password authentication failed'), { code: '28P01' }))).toBe('28P01');
    expect(pgErrorType(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(pgErrorType(new Error('timeout expired'))).toBe('timeout');
    expect(pgErrorType(new Error('Connection terminated unexpectedly'))).toBe('connection_terminated');
    expect(pgErrorType(new Error('The server does not support SSL connections'))).toBe('ssl_not_supported');
    expect(pgErrorType(new Error('something else entirely'))).toBe('_OTHER');
    expect(pgErrorType(new TypeError('Password must be a string'))).toBe('TypeError');
    expect(pgErrorType(undefined)).toBe('_OTHER');
  });

  test('a message never decides when the error has a code', () => {
    expect(pgErrorType(Object.assign(new Error('timeout expired'), { code: 'ETIMEDOUT' }))).toBe('ETIMEDOUT');
  });

  test('pg-pool’s two timeout errors, and nothing else, are pool timeouts', () => {
    expect(isPoolTimeout(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isPoolTimeout(new Error('Connection terminated due to connection timeout'))).toBe(true);
    expect(isPoolTimeout(new Error('timeout expired'))).toBe(false);
    expect(isPoolTimeout(null)).toBe(false);
  });

  test('fatal server errors: FATAL, PANIC and class 57P', () => {
    expect(isFatalServerError({ severity: 'FATAL', code: '57P01' })).toBe(true);
    expect(isFatalServerError({ severity: 'PANIC', code: 'XX000' })).toBe(true);
    expect(isFatalServerError({ severity: 'SCHWERWIEGEND', code: '57P01' })).toBe(true);
    expect(isFatalServerError({ severity: 'ERROR', code: '42601' })).toBe(false);
    expect(isFatalServerError(undefined)).toBe(false);
  });
});

describe('server target and pool names', () => {
  const client = (fields: Partial<PgClient>) => fields as PgClient;

  test('from a client: the host normalised, a Unix socket directory kept, the default port', () => {
    expect(clientTarget(client({ host: 'DB.Example.COM.', port: 6432, database: 'orders' }))).toEqual({
      address: 'db.example.com',
      port: 6432,
      database: 'orders',
    });
    expect(clientTarget(client({ host: '/var/run/postgresql', port: '5432', database: 'app' }))).toEqual({
      address: '/var/run/postgresql',
      port: 5432,
      database: 'app',
    });
    expect(clientTarget(client({ host: '::1', port: undefined, database: '' }))).toEqual({
      address: '::1',
      port: 5432,
      database: undefined,
    });
  });

  test('from pool options: the connection string’s host, port and database, never its user or password', () => {
    const target = poolOptionsTarget({ connectionString: 'postgres://alice:s3cret@db.internal:6543/orders?sslmode=require' });
    expect(target).toEqual({ address: 'db.internal', port: 6543, database: 'orders' });
    expect(defaultPoolName(target)).toBe('db.internal:6543/orders');
    expect(JSON.stringify(target)).not.toMatch(/alice|s3cret|sslmode/);
  });

  test('from pool options: host, port and database, then pg’s defaults', () => {
    expect(poolOptionsTarget({ host: '10.0.0.5', port: 5433, database: 'reports' })).toEqual({
      address: '10.0.0.5',
      port: 5433,
      database: 'reports',
    });
    const saved = { ...process.env };
    try {
      for (const name of ['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER']) delete process.env[name];
      expect(poolOptionsTarget({ user: 'svc' })).toEqual({ address: 'localhost', port: 5432, database: 'svc' });
    } finally {
      process.env = saved;
    }
  });
});
