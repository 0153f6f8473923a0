/*
 * Which commands are uses. A use is a command the application sent. The
 * connection handshake (HELLO, AUTH, SELECT, CLIENT SETNAME/SETINFO,
 * READONLY) never reaches the command channel; what does, and is node-redis's
 * own bookkeeping, is listed here.
 */

/** CLUSTER sub-commands node-redis sends to discover and refresh the slots. */
const CLUSTER_HOUSEKEEPING = new Set(['SLOTS', 'SHARDS', 'NODES']);

/**
 * Whether a command is housekeeping rather than a use: CLUSTER SLOTS/SHARDS/
 * NODES (slot discovery), ASKING before a redirected command, and SENTINEL
 * commands (a sentinel client's master discovery).
 */
export function isHousekeeping(command: unknown, args: unknown[] | undefined): boolean {
  if (typeof command !== 'string') return false;
  const name = command.toUpperCase();
  if (name === 'ASKING' || name === 'SENTINEL') return true;
  const sub = args?.[1];
  return name === 'CLUSTER' && typeof sub === 'string' && CLUSTER_HOUSEKEEPING.has(sub.toUpperCase());
}
