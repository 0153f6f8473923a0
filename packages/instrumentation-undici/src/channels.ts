/** undici's diagnostics channels this package reads, each named once. */
export const UndiciChannel = {
  BeforeConnect: 'undici:client:beforeConnect',
  Connected: 'undici:client:connected',
  ConnectError: 'undici:client:connectError',
  SendHeaders: 'undici:client:sendHeaders',
  RequestCreate: 'undici:request:create',
  RequestTrailers: 'undici:request:trailers',
  RequestError: 'undici:request:error',
} as const;

/** The part of undici's `connectParams` this package reads. */
export interface ConnectParams {
  host?: string;
  hostname?: string;
  protocol?: string;
  port?: string | number;
}

export interface ConnectMessage {
  connectParams: ConnectParams;
  /** The Client's connector: the same object in beforeConnect, connected and connectError. */
  connector?: object;
  socket?: object;
  error?: unknown;
}

export interface RequestMessage {
  request: object;
  socket?: object;
}

export interface RequestErrorMessage {
  request: object;
  error: unknown;
}
