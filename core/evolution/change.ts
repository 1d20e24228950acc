/** One change between a definition lock and a definition, and how it is carried (see {@link compareLocks}). */

/** How a change is carried into the running pipeline. */
export type ChangeClass = 'compatible' | 'partial' | 'incompatible';

/** Labels of the classes as printed. */
export const CHANGE_CLASS_LABELS: Readonly<Record<ChangeClass, string>> = {
  compatible: 'compatible',
  partial: 'carried with partial windows',
  incompatible: 'incompatible',
};

/** One change. */
export interface DefinitionChange {
  /** What changed: `windows.<name>`, `aggregates.<name>`, `alerts.<name>`, `fields.<field>`, `schema`, `settings`. */
  readonly subject: string;
  readonly class: ChangeClass;
  /** What changed and what it means for running state. */
  readonly what: string;
  /** For an incompatible change: how to make it deployable. */
  readonly wayOut?: string;
  /**
   * True when `--accept <subject>` may take this incompatible change (the running pipeline cannot see it: a function's
   * source, a field, the schema); structural changes are declared in the definition instead.
   */
  readonly acceptable?: boolean;
  /** True when it was accepted (it no longer fails the check). */
  readonly accepted?: boolean;
}

/** Human form of a duration in ms (`90s`, `5m`, `1h`, `1500ms`). */
export function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Names as a list in a change's text. */
export const list = (names: readonly string[]): string => names.join(', ');
