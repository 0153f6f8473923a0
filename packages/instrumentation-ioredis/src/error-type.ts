import { errorType } from '@connmetrics/core';

/** A Redis error reply's prefix: `WRONGPASS`, `NOAUTH`, `ERR`, `LOADING`, ... */
const REPLY_PREFIX = /^([A-Z][A-Z0-9_]{1,31})(?:\s|$)/;

/**
 * `error.type` for ioredis errors: a Redis error reply gives its prefix (what
 * the semantic conventions call the Redis status code; never the rest of the
 * message), anything else its short code (`ECONNREFUSED`) or class name.
 */
export function redisErrorType(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { name, message } = error as { name?: unknown; message?: unknown };
    if (name === 'ReplyError' && typeof message === 'string') {
      const match = REPLY_PREFIX.exec(message);
      if (match) return match[1];
    }
  }
  return errorType(error);
}
