import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { DiagLogger } from '@opentelemetry/api';
import { reportFailure } from './guard';

/** A diagnostics channel name and the handler for its messages. */
export type ChannelHandlers = Readonly<Record<string, (message: any) => void>>;

/**
 * A set of diagnostics channel subscriptions that subscribe and unsubscribe as
 * one. Each handler is guarded: an exception in it is logged, never thrown
 * into the library that published the message. Both calls are idempotent.
 */
export class ChannelSubscriptions {
  private readonly subscriptions: ReadonlyArray<readonly [string, (message: unknown, name: string | symbol) => void]>;
  private active = false;

  constructor(handlers: ChannelHandlers, diag: DiagLogger) {
    // One function per channel, the handler guarded in it (no wrapper of a wrapper per message).
    this.subscriptions = Object.entries(handlers).map(([name, handler]) => [
      name,
      (message: unknown) => {
        try {
          handler(message);
        } catch (error) {
          reportFailure(diag, name, error);
        }
      },
    ] as const);
  }

  get subscribed(): boolean {
    return this.active;
  }

  subscribe(): void {
    if (this.active) return;
    this.active = true;
    for (const [name, handler] of this.subscriptions) diagnosticsChannel.subscribe(name, handler);
  }

  unsubscribe(): void {
    if (!this.active) return;
    this.active = false;
    for (const [name, handler] of this.subscriptions) diagnosticsChannel.unsubscribe(name, handler);
  }
}
