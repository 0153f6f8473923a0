/* The pure parts, in process: error types, where a connection connects, which server it is. */
import { isCheckoutTimeout, mysql2ErrorType } from '../src/error-type';
import { configTarget, contextTarget, dbSystemName } from '../src/server-target';

describe('error.type', () => {
  test('server, socket and mysql2 codes pass through; the pool’s code-less errors get a short name; never a message', () => {
    expect(mysql2ErrorType(Object.assign(new Error("Access denied for user 'x'"), { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 }))).toBe('ER_ACCESS_DENIED_ERROR');
    expect(mysql2ErrorType(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(mysql2ErrorType(Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' }))).toBe('PROTOCOL_CONNECTION_LOST');
    expect(mysql2ErrorType(new Error('Queue limit reached.'))).toBe('queue_limit_reached');
    expect(mysql2ErrorType(new Error('No connections available.'))).toBe('no_connections_available');
    expect(mysql2ErrorType(new Error('Pool is closed.'))).toBe('pool_closed');
    expect(mysql2ErrorType(new Error("Unknown database 'secret'"))).toBe('_OTHER');
    expect(mysql2ErrorType(undefined)).toBe('_OTHER');
  });

  test('a checkout timeout is connectTimeout’s ETIMEDOUT', () => {
    expect(isCheckoutTimeout(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isCheckoutTimeout(new Error('Queue limit reached.'))).toBe(false);
    expect(isCheckoutTimeout(null)).toBe(false);
  });
});

describe('server target and system', () => {
  test('from a connection’s settings, with mysql2’s defaults; a Unix socket has no port', () => {
    expect(configTarget({ host: 'DB.Example.com.', port: 3307, database: 'shop' })).toEqual({ address: 'db.example.com', port: 3307, database: 'shop' });
    expect(configTarget({})).toEqual({ address: 'localhost', port: 3306, database: undefined });
    expect(configTarget({ socketPath: '/run/mysqld/mysqld.sock', host: 'ignored', database: 'x' })).toEqual({ address: '/run/mysqld/mysqld.sock', database: 'x' });
    expect(contextTarget({ serverAddress: '/tmp/mysql.sock', serverPort: undefined, database: '' })).toEqual({ address: '/tmp/mysql.sock', database: undefined });
    expect(contextTarget({ serverAddress: '127.0.0.1', serverPort: 3306, database: 'test' })).toEqual({ address: '127.0.0.1', port: 3306, database: 'test' });
  });

  test('db.system.name: mariadb when the server’s version string says so', () => {
    expect(dbSystemName('5.5.5-10.11.19-MariaDB-0+deb12u1')).toBe('mariadb');
    expect(dbSystemName('8.4.3')).toBe('mysql');
    expect(dbSystemName(undefined, true)).toBe('mariadb');
    expect(dbSystemName(undefined)).toBe('mysql');
  });
});
