/** Node's channel of every client socket that starts connecting: where postgres.js's sockets are found. */
export const NET_CLIENT_SOCKET = 'net.client.socket';

export interface ClientSocketMessage {
  readonly socket?: unknown;
}
