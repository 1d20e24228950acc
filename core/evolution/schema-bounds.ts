import { equal } from './json-schema';

/**
 * Bounds and fixed keywords of a reader schema that a writer schema must keep within (core/evolution/schema-compat.ts):
 * each gives the problems at `path`, empty when every value the writer allows meets the reader's keyword.
 */

type Node = Record<string, unknown>;

const num = (s: Node, k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);

/** The reader's lower bound `k` (minLength, minimum...) is at most the writer's. */
export function lowerBound(w: Node, r: Node, k: string, path: string): string[] {
  const rv = num(r, k);
  const wv = num(w, k);
  return rv !== undefined && (wv === undefined || wv < rv) ? [`${path}: ${k} ${wv ?? 'none'} → ${rv}`] : [];
}

/** The reader's upper bound `k` (maxLength, maximum...) is at least the writer's. */
export function upperBound(w: Node, r: Node, k: string, path: string): string[] {
  const rv = num(r, k);
  const wv = num(w, k);
  return rv !== undefined && (wv === undefined || wv > rv) ? [`${path}: ${k} ${wv ?? 'none'} → ${rv}`] : [];
}

/** The reader's keyword `k` (pattern, format...) is the writer's, unchanged. */
export function sameKeyword(w: Node, r: Node, k: string, path: string): string[] {
  return r[k] !== undefined && !equal(r[k], w[k]) ? [`${path}: ${k} changed`] : [];
}

/** Problems of a string writer: length bounds, pattern and format. */
export function stringProblems(w: Node, r: Node, path: string): string[] {
  return [
    ...lowerBound(w, r, 'minLength', path),
    ...upperBound(w, r, 'maxLength', path),
    ...sameKeyword(w, r, 'pattern', path),
    ...sameKeyword(w, r, 'format', path),
  ];
}

/** Problems of a number writer: bounds and `multipleOf`. */
export function numberProblems(w: Node, r: Node, path: string): string[] {
  const rm = num(r, 'multipleOf');
  const wm = num(w, 'multipleOf');
  return [
    ...lowerBound(w, r, 'minimum', path),
    ...upperBound(w, r, 'maximum', path),
    ...lowerBound(w, r, 'exclusiveMinimum', path),
    ...upperBound(w, r, 'exclusiveMaximum', path),
    ...(rm !== undefined && (wm === undefined || wm % rm !== 0) ? [`${path}: multipleOf ${rm}`] : []),
  ];
}
