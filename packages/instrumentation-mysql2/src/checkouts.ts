/*
 * The pool checkouts in progress, from `mysql2:pool:connect`'s events: one
 * per `pool.getConnection()` (also under `pool.query()`/`execute()`), from its
 * start to the end of its callback. mysql2 creates a pool's new connection
 * inside getConnection()'s synchronous part, so the handshake that starts
 * there belongs to the checkout running then (`current()`). A checkout mysql2
 * re-dispatches (`releaseConnection` of a removed connection calls
 * getConnection() again with the waiting, already traced callback) ends twice
 * with one outcome, the waiting one first: it is merged into the outer one,
 * which keeps the earlier start and the connection attempt.
 */
import { performance } from 'node:perf_hooks';
import type { PoolConnectContext } from './channels';

export interface Checkout<Attempt> {
  readonly context: PoolConnectContext;
  /** From `performance.now()`. */
  startedAt: number;
  /** The connection attempt this checkout started, when it had to open one. */
  attempt?: Attempt;
}

/** A context carrying its checkout under a Checkouts' key (a field, not a WeakMap entry: one per checkout, the hot path). */
type Carrier<Attempt> = PoolConnectContext & { [key: symbol]: Checkout<Attempt> | undefined };

export class Checkouts<Attempt> {
  /** Replaced by clear(): the checkouts of an earlier enable() are not found again. */
  private key = Symbol('connmetrics.mysql2.checkout');
  /** Checkouts whose synchronous part runs now, innermost last. */
  private running: Array<Checkout<Attempt>> = [];
  /** Checkouts whose callbacks run now, innermost last. */
  private dispatching: Array<Checkout<Attempt>> = [];

  /** `start`: getConnection() was called. */
  started(context: PoolConnectContext): void {
    const checkout: Checkout<Attempt> = { context, startedAt: performance.now() };
    (context as Carrier<Attempt>)[this.key] = checkout;
    this.running.push(checkout);
  }

  /** `end`: getConnection() returned. */
  returned(context: PoolConnectContext): void {
    const running = this.running;
    if (running[running.length - 1]?.context === context) {
      running.pop(); // the usual case, without a closure or a splice
      return;
    }
    for (let index = running.length - 2; index >= 0; index -= 1) {
      if (running[index]!.context === context) {
        running.splice(index, 1);
        return;
      }
    }
  }

  /** The checkout whose synchronous part runs now, if any. */
  current(): Checkout<Attempt> | undefined {
    return this.running[this.running.length - 1];
  }

  /** `asyncStart`: the checkout's callback starts. */
  callbackStarted(context: PoolConnectContext): void {
    const checkout = (context as Carrier<Attempt>)[this.key];
    if (checkout) this.dispatching.push(checkout);
  }

  /**
   * `asyncEnd`: the checkout's callback returned. Returns the checkout to
   * count, or undefined: one that began before tracking did, or one merged
   * into the checkout that re-dispatched it.
   */
  ended(context: PoolConnectContext): Checkout<Attempt> | undefined {
    const carrier = context as Carrier<Attempt>;
    const checkout = carrier[this.key];
    if (!checkout) return undefined;
    carrier[this.key] = undefined; // not `delete`: the context keeps its shape
    const stack = this.dispatching;
    if (stack[stack.length - 1] === checkout) stack.pop();
    const outer = stack[stack.length - 1];
    const outcome = context.error ?? context.result;
    if (outer && outcome !== undefined && (outer.context.error ?? outer.context.result) === outcome) {
      outer.startedAt = Math.min(outer.startedAt, checkout.startedAt);
      outer.attempt ??= checkout.attempt;
      return undefined;
    }
    return checkout;
  }

  /** Forgets every checkout (on disable). */
  clear(): void {
    this.key = Symbol('connmetrics.mysql2.checkout');
    this.running = [];
    this.dispatching = [];
  }
}
