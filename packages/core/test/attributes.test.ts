import { defaultPortOf, errorType, serverAddress, serverPort } from '../src';
import { tlsProtocolVersion } from '../src/attributes';

describe('errorType', () => {
  test.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    [Object.assign(new Error('password authentication failed for user "x"'), { code: '28P01' }), '28P01'],
    [new TypeError('secret message'), 'TypeError'],
    [new Error('plain'), '_OTHER'],
    [Object.assign(new Error('x'), { code: 'has spaces and a secret' }), '_OTHER'],
    ['a string', '_OTHER'],
    [undefined, '_OTHER'],
    [null, '_OTHER'],
    [{ code: -3008 }, '-3008'],
  ])('%p → %s', (error, expected) => {
    expect(errorType(error)).toBe(expected);
  });
});

describe('serverAddress', () => {
  test.each([
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['user:secret@db.internal', 'db.internal'],
    ['host:5432', 'host'],
    ['host/path?query=secret', 'host'],
    ['', undefined],
    [undefined, undefined],
    [42, undefined],
  ])('%p → %p', (input, expected) => {
    expect(serverAddress(input)).toBe(expected);
  });
});

test('serverPort and defaultPortOf', () => {
  expect(serverPort('8080')).toBe(8080);
  expect(serverPort(443)).toBe(443);
  expect(serverPort('', 80)).toBe(80);
  expect(serverPort('0')).toBeUndefined();
  expect(serverPort('70000')).toBeUndefined();
  expect(serverPort('abc', 443)).toBe(443);
  expect(defaultPortOf('https:')).toBe(443);
  expect(defaultPortOf('http')).toBe(80);
  expect(defaultPortOf('redis:')).toBeUndefined();
});

test('tlsProtocolVersion', () => {
  expect(tlsProtocolVersion('TLSv1.3')).toBe('1.3');
  expect(tlsProtocolVersion('TLSv1')).toBe('1');
  expect(tlsProtocolVersion(null)).toBeUndefined();
});
