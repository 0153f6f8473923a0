/*
 * A wrapper of one method that other instrumentations can live with.
 *
 * Other instrumentations of ioredis (@opentelemetry/instrumentation-ioredis)
 * wrap the same methods with shimmer and, when they find a method already
 * wrapped by shimmer, unwrap it first: a shimmer-marked wrapper of ours would
 * be silently dropped by whichever of them is enabled after this one. So the
 * wrapper carries only `__original` (enough for anyone walking the chain) and
 * not shimmer's `__wrapped`/`__unwrap` marks. On removal it restores the
 * original only if nothing was wrapped on top of it since; otherwise it stays
 * in the chain and passes every call straight through until enabled again.
 */

type Method = (...args: unknown[]) => unknown;

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
    const original = current as Method;
    const wrapper = factory(original, () => this.active);
    Object.defineProperty(wrapper, '__original', { value: original, configurable: true });
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
