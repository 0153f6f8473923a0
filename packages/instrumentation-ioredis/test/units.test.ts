import { ReplyError } from 'ioredis';
import { redisTarget } from '../src/attributes';
import { isFatalHandshakeCommand, isHousekeeping } from '../src/command-kind';
import { redisErrorType } from '../src/error-type';
import { versionInRange } from '@connmetrics/core';

describe('redisTarget', () => {
  test.each([
    [{}, { address: 'localhost', port: 6379, poolName: 'localhost:6379/0' }],
    [{ host: '127.0.0.1', port: 7000, db: 2 }, { address: '127.0.0.1', port: 7000, poolName: '127.0.0.1:7000/2' }],
    [{ host: 'Cache.Example.COM', port: '6380' }, { address: 'cache.example.com', port: 6380, poolName: 'cache.example.com:6380/0' }],
    [{ host: '::1', port: 6379 }, { address: '::1', port: 6379, poolName: '[::1]:6379/0' }],
    [{ host: 'h', connectionName: 'sessions', db: 4 }, { address: 'h', port: 6379, poolName: 'sessions' }],
    [{ path: '/run/redis.sock', db: 1 }, { address: '/run/redis.sock', port: undefined, poolName: '/run/redis.sock/1' }],
  ])('%j', (options, expected) => {
    expect(redisTarget(options)).toEqual(expected);
  });

  test('credentials in the options never reach the target', () => {
    const target = redisTarget({ host: 'h', username: 'alice', password: 'hunter2' } as never);
    expect(JSON.stringify(target)).not.toMatch(/alice|hunter2/);
  });
});

describe('redisErrorType', () => {
  test.each([
    [new ReplyError('WRONGPASS invalid username-password pair or user is disabled.'), 'WRONGPASS'],
    [new ReplyError('NOAUTH Authentication required.'), 'NOAUTH'],
    [new ReplyError('ERR unknown command'), 'ERR'],
    [new ReplyError('weird lower-case reply'), 'ReplyError'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    [new Error('Connection is closed.'), '_OTHER'],
    [undefined, '_OTHER'],
  ])('%s → %s', (error, expected) => {
    expect(redisErrorType(error)).toBe(expected);
  });
});

describe('command kinds', () => {
  test.each([
    ['get', undefined, false],
    ['GET', undefined, false],
    ['cluster', 'SLOTS', true],
    ['CLUSTER', 'info', true],
    ['cluster', 'shards', true],
    ['cluster', 'KEYSLOT', false],
    ['asking', undefined, true],
    ['readonly', undefined, true],
    ['quit', undefined, true],
    ['client', 'ID', false],
    [undefined, undefined, false],
  ])('%s %s is housekeeping: %s', (name, argument, expected) => {
    expect(isHousekeeping(name, argument)).toBe(expected);
  });

  test('only AUTH/HELLO/SELECT/INFO failures explain a failed handshake; CLIENT and READONLY failures are ignored by ioredis', () => {
    expect(['auth', 'hello', 'select', 'info'].map(isFatalHandshakeCommand)).toEqual([true, true, true, true]);
    expect(['client', 'CLIENT', 'readonly'].map(isFatalHandshakeCommand)).toEqual([false, false, false]);
  });
});

describe('versionInRange (which loaded copies are patched late)', () => {
  test.each([
    ['4.28.5', false],
    ['5.0.0', true],
    ['5.10.1', true],
    ['6.0.0', true],
    ['7.0.0', false],
    [undefined, false],
  ])('ioredis %s is supported: %s', (version, expected) => {
    expect(versionInRange(version, '5.0.0', '7.0.0')).toBe(expected);
  });
});
