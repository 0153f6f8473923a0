import { MethodWrap } from '../src';

describe('MethodWrap', () => {
  /**
   * What the upstream instrumentations do with shimmer: if the method is
   * wrapped (`__wrapped`), call shimmer's unwrap (its `__unwrap()`), then wrap.
   */
  function shimmerWrap(target: Record<string, any>, name: string, tag: string) {
    if (target[name].__wrapped) target[name].__unwrap();
    const original = target[name];
    const wrapper = function (this: unknown, ...args: unknown[]) {
      calls.push(tag);
      return original.apply(this, args);
    };
    Object.assign(wrapper, {
      __wrapped: true,
      __original: original,
      __unwrap: () => {
        if (target[name] === wrapper) target[name] = original;
      },
    });
    target[name] = wrapper;
  }

  let calls: string[];
  let target: Record<string, any>;
  const factory = (original: (...args: unknown[]) => unknown, active: () => boolean) =>
    function (this: unknown, ...args: unknown[]) {
      if (active()) calls.push('ours');
      return original.apply(this, args);
    };

  beforeEach(() => {
    calls = [];
    class Client {
      send(value: number) {
        calls.push('original');
        return value * 2;
      }
    }
    target = Client.prototype as unknown as Record<string, any>;
  });

  test('install, remove and install again restore the original exactly', () => {
    const original = target.send;
    const wrap = new MethodWrap(target, 'send');
    wrap.install(factory);
    expect(target.send.call(null, 2)).toBe(4);
    expect(calls).toEqual(['ours', 'original']);
    wrap.remove();
    expect(target.send).toBe(original);
    expect(Object.getOwnPropertyDescriptor(target, 'send')?.enumerable).toBe(false);
    wrap.install(factory);
    wrap.install(factory);
    calls = [];
    target.send.call(null, 1);
    expect(calls).toEqual(['ours', 'original']); // installed once
  });

  test('a shimmer instrumentation enabled afterwards wraps on top instead of dropping ours', () => {
    new MethodWrap(target, 'send').install(factory);
    shimmerWrap(target, 'send', 'upstream');
    target.send.call(null, 1);
    expect(calls).toEqual(['upstream', 'ours', 'original']);
  });

  test('a shimmer instrumentation that patches the same method twice (two module hooks) stays in the chain once', () => {
    shimmerWrap(target, 'send', 'upstream');
    new MethodWrap(target, 'send').install(factory);
    shimmerWrap(target, 'send', 'upstream');
    target.send.call(null, 1);
    expect(calls).toEqual(['upstream', 'ours', 'original']);
  });

  test('ours first, then a shimmer instrumentation twice: each once', () => {
    new MethodWrap(target, 'send').install(factory);
    shimmerWrap(target, 'send', 'upstream');
    shimmerWrap(target, 'send', 'upstream');
    target.send.call(null, 1);
    expect(calls).toEqual(['upstream', 'ours', 'original']);
  });

  test('removed while wrapped over, it stays in the chain but only calls through, and is revived by install', () => {
    const wrap = new MethodWrap(target, 'send');
    wrap.install(factory);
    shimmerWrap(target, 'send', 'upstream');
    wrap.remove();
    target.send.call(null, 1);
    expect(calls).toEqual(['upstream', 'original']);
    calls = [];
    wrap.install(factory);
    target.send.call(null, 1);
    expect(calls).toEqual(['upstream', 'ours', 'original']);
  });
});
