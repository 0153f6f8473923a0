/*
 * A wrapper of one method that other instrumentations can live with.
 *
 * Other instrumentations of the same library (@opentelemetry/instrumentation-pg,
 * -ioredis) wrap the same methods with shimmer, and before wrapping a method
 * they find already wrapped (`__wrapped`), they call its `__unwrap()` to drop
 * their own earlier wrapper. A plain shimmer wrapper of ours would be dropped
 * by that call; an unmarked one would let them wrap twice (pg patches both its
 * main module and lib/client.js) and count twice. So ours carries shimmer's
 * marks, and its `__unwrap()` removes the shimmer wrapper directly beneath it,
 * if any, and keeps itself: each instrumentation stays in the chain once.
 * On removal it restores the original only if nothing was wrapped on top of it
 * since; otherwise it stays in the chain and passes every call straight
 * through until enabled again.
 */

export type Method = (...args: any[]) => unknown;

/** Builds a wrapper; `active()` says whether it should do its work or only call through. */
export type WrapperFactory = (original: Method, active: () => boolean) => Method;

const MAX_CHAIN = 16;

/** Whether `wrapper` is `method` or lies beneath it in a chain of wrappers linked by `__original`. */
function inChain(method: unknown, wrapper: Method): boolean {
  let current: unknown = method;
  for (let depth = 0; depth < MAX_CHAIN && typeof current === 'function'; depth += 1) {
    if (current === wrapper) return true;
    current = (current as { __original?: unknown }).__original;
  }
  return false;
}

export class MethodWrap {
  private wrapper: Method | undefined;
  private descriptor: PropertyDescriptor | undefined;
  private active = false;

  constructor(
    private readonly target: Record<string, unknown>,
    private readonly name: string,
  ) {}

  install(factory: WrapperFactory): void {
    this.active = true;
    const current = this.target[this.name];
    if (this.wrapper && inChain(current, this.wrapper)) return; // still in place (inert since removal)
    if (typeof current !== 'function') return;
    let inner = current as Method;
    const callInner: Method = function (this: unknown, ...args: unknown[]) {
      return inner.apply(this, args);
    };
    const wrapper = factory(callInner, () => this.active);
    Object.defineProperty(wrapper, '__original', { get: () => inner, configurable: true });
    Object.defineProperty(wrapper, '__wrapped', { value: true, configurable: true });
    Object.defineProperty(wrapper, '__unwrap', {
      // Called by shimmer users that are about to wrap this method again: drop their
      // earlier wrapper beneath ours, keep ours.
      value: () => {
        const beneath = inner as Method & { __wrapped?: boolean; __original?: Method };
        if (beneath.__wrapped === true && typeof beneath.__original === 'function') inner = beneath.__original;
      },
      configurable: true,
    });
    this.descriptor = Object.getOwnPropertyDescriptor(this.target, this.name);
    Object.defineProperty(this.target, this.name, {
      value: wrapper,
      writable: true,
      configurable: true,
      enumerable: this.descriptor?.enumerable ?? false,
    });
    this.wrapper = wrapper;
  }

  remove(): void {
    this.active = false;
    if (!this.wrapper || this.target[this.name] !== this.wrapper) return; // wrapped over since: stays, inert
    if (this.descriptor) Object.defineProperty(this.target, this.name, this.descriptor);
    else delete this.target[this.name];
    this.wrapper = undefined;
    this.descriptor = undefined;
  }
}

/**
 * The method wraps of one instrumentation, one per (object, method name): for
 * libraries with no diagnostics channel, where each copy of the library loaded
 * in the process gets its own prototype to wrap.
 */
export class MethodWraps {
  private readonly wraps = new WeakMap<object, Map<string, MethodWrap>>();

  /** Wraps `target[name]` with what `build` returns for the current method; idempotent. */
  wrap(target: object, name: string, build: (original: Method) => Method): void {
    let byName = this.wraps.get(target);
    if (!byName) this.wraps.set(target, (byName = new Map()));
    let wrap = byName.get(name);
    if (!wrap) byName.set(name, (wrap = new MethodWrap(target as Record<string, unknown>, name)));
    wrap.install((original) => build(original));
  }

  /** Removes this instrumentation's wrapper of `target[name]`, and never anyone else's. */
  unwrap(target: object, name: string): void {
    this.wraps.get(target)?.get(name)?.remove();
  }
}
