/*
 * Typed reads of environment variables. A value that cannot be used gives one
 * warning naming the variable, what was expected and the default used
 * instead; reading never throws. Values that may hold secrets (headers) are
 * never repeated in a warning.
 */
import { warnOnce } from './warnings';

export type Environment = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  constructor(
    private readonly env: Environment,
    private readonly warn: (variable: string, message: string) => void = warnOnce,
  ) {}

  /** The trimmed value, or undefined when unset or blank. */
  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  /** Reports an unusable value of `name`. */
  invalid(name: string, message: string): void {
    this.warn(name, `${name}: ${message}`);
  }

  /** `true` or `false` (any case). */
  boolean(name: string, fallback: boolean): boolean {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === 'true') return true;
    if (value === 'false') return false;
    this.invalid(name, `"${this.string(name)}" is not true or false; using ${fallback}.`);
    return fallback;
  }

  /** A whole number of at least `min` (milliseconds, ports). */
  integer(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, instead = `using ${fallback}`): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
    if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
    const range = max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
    this.invalid(name, `"${raw}" is not ${range}; ${instead}.`);
    return fallback;
  }

  /** One of `allowed` (compared in lower case). */
  choice<T extends string>(name: string, allowed: readonly T[], fallback: T, instead = `using ${fallback}`): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = raw.toLowerCase() as T;
    if (allowed.includes(value)) return value;
    this.invalid(name, `"${raw}" is not supported (expected ${listOf(allowed)}); ${instead}.`);
    return fallback;
  }

  /** A comma-separated list, trimmed, lower case, without blanks and duplicates; undefined when unset. */
  list(name: string): string[] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    return [...new Set(raw.split(',').map((item) => item.trim().toLowerCase()).filter(Boolean))];
  }
}

/** "a, b or c" (or "a, b and c") */
export function listOf(values: readonly string[], conjunction: 'or' | 'and' = 'or'): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} ${conjunction} ${values[values.length - 1]}`;
}
