/*
 * Checks that no attribute of any emitted metric carries a secret: the
 * generated user names, passwords, URL paths, query strings, fragments and
 * SQL text of a property run.
 */
import fc from 'fast-check';

/** A generated secret: long and distinctive enough never to occur by chance in an attribute. */
export const secret = fc.stringMatching(/^[A-Za-z0-9]{8,16}$/).map((s) => `S3cr3t${s}`);

export interface AttributeSet {
  readonly name: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** Every attribute key and value (as text) that contains one of `secrets`, with the metric it was on. */
export function leaks(sets: readonly AttributeSet[], secrets: readonly string[]): string[] {
  const found: string[] = [];
  for (const { name, attributes } of sets) {
    for (const [key, value] of Object.entries(attributes)) {
      const text = `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`;
      for (const s of secrets) if (text.toLowerCase().includes(s.toLowerCase())) found.push(`${name} ${text}`);
    }
  }
  return found;
}
