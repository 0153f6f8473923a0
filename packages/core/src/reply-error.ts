/*
 * Redis error replies (`-WRONGPASS invalid username-password pair`): their
 * first word is what the semantic conventions call the Redis status code and
 * the one part of the reply that is safe to record. Shared by the Redis
 * client packages, whose error classes differ in name only.
 */

/** A reply's prefix: `WRONGPASS`, `NOAUTH`, `ERR`, `LOADING`, `MOVED`, ... */
const REPLY_PREFIX = /^([A-Z][A-Z0-9_]{1,31})(?:\s|$)/;

/**
 * The prefix of a Redis error reply, when `error` is one: an object whose
 * `name` or class name is one of `replyErrorNames` (the client library's
 * error reply classes; node-redis's leave `name` at `Error`) and whose message
 * starts with an upper-case word. Never the rest of the message.
 */
export function redisReplyPrefix(error: unknown, replyErrorNames: ReadonlySet<string>): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { name, message, constructor } = error as { name?: unknown; message?: unknown; constructor?: { name?: unknown } };
  const isReply = (typeof name === 'string' && replyErrorNames.has(name)) || (typeof constructor?.name === 'string' && replyErrorNames.has(constructor.name));
  if (!isReply || typeof message !== 'string') return undefined;
  return REPLY_PREFIX.exec(message)?.[1];
}
