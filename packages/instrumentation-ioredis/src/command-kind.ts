/*
 * Which commands are uses. A use is a command the application sent. ioredis
 * also sends commands of its own: the connection handshake (AUTH, HELLO,
 * SELECT, CLIENT SETNAME/SETINFO, READONLY, the INFO ready check), all written
 * before the client's status becomes `ready`; and, once ready, cluster
 * housekeeping that would otherwise look like application commands.
 */

/** Commands ioredis sends on a ready connection for its own bookkeeping. */
const HOUSEKEEPING = new Set(['asking', 'readonly', 'readwrite', 'quit']);

/** CLUSTER sub-commands ioredis sends to refresh slots and check cluster state. */
const CLUSTER_HOUSEKEEPING = new Set(['slots', 'shards', 'info']);

/** First letters of the housekeeping commands (a, c, q, r; either case): every other command is a use at once. */
function mayBeHousekeeping(first: number): boolean {
  const lower = first | 0x20;
  return lower === 0x61 || lower === 0x63 || lower === 0x71 || lower === 0x72;
}

/**
 * Whether a command written on a ready connection is housekeeping rather than
 * a use: ASKING before a redirected command, READONLY/READWRITE on a role
 * change, CLUSTER SLOTS/SHARDS/INFO (slot refreshes and the cluster ready
 * check), and QUIT (closing a connection is not a use of it). Runs per
 * command: no allocation for the commands applications send.
 */
export function isHousekeeping(name: unknown, firstArgument: unknown): boolean {
  if (typeof name !== 'string' || name.length === 0 || !mayBeHousekeeping(name.charCodeAt(0))) return false;
  const command = name.toLowerCase();
  if (HOUSEKEEPING.has(command)) return true;
  return command === 'cluster' && typeof firstArgument === 'string' && CLUSTER_HOUSEKEEPING.has(firstArgument.toLowerCase());
}

/**
 * Whether a failed handshake command explains a failed connection attempt.
 * ioredis ignores failures of CLIENT SETNAME/SETINFO and READONLY (older
 * servers lack them), so those never do.
 */
export function isFatalHandshakeCommand(name: unknown): boolean {
  if (typeof name !== 'string') return false;
  const command = name.toLowerCase();
  return command !== 'client' && command !== 'readonly';
}
