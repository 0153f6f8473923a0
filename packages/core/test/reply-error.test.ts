import { redisReplyPrefix } from '../src';

const NAMES = new Set(['ReplyError', 'SimpleError']);
class SimpleError extends Error {}

test('the prefix of a Redis error reply, by name or class name, never the rest of the message', () => {
  expect(redisReplyPrefix(Object.assign(new Error('WRONGPASS invalid username-password pair'), { name: 'ReplyError' }), NAMES)).toBe('WRONGPASS');
  expect(redisReplyPrefix(new SimpleError('NOAUTH Authentication required.'), NAMES)).toBe('NOAUTH');
  expect(redisReplyPrefix(new SimpleError('LOADING'), NAMES)).toBe('LOADING');
});

test('anything else is no reply', () => {
  expect(redisReplyPrefix(new Error('WRONGPASS secret'), NAMES)).toBeUndefined(); // not a reply class
  expect(redisReplyPrefix(new SimpleError('wrongpass lower case'), NAMES)).toBeUndefined();
  expect(redisReplyPrefix(new SimpleError('S3cr3t-with-dash'), NAMES)).toBeUndefined();
  expect(redisReplyPrefix(undefined, NAMES)).toBeUndefined();
  expect(redisReplyPrefix('WRONGPASS', NAMES)).toBeUndefined();
});
