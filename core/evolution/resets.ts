import { DefinitionError, quote } from '../errors';

/**
 * Declared resets of a definition (`resets` in `definePipeline`): per window or aggregate name, a reset generation.
 * Bumping a generation starts that window or aggregate over: its stored state is no longer read (its fingerprint
 * changes), windows open at the switch report it `partial`. It is how an otherwise incompatible change (a window's
 * size, an aggregate's kind or extractor) is declared; leave the number in place afterwards (it is part of the
 * fingerprint: lowering it is a change again).
 *
 * @example resets: { windows: { perMinute: 1 }, aggregates: { revenue: 2 } }
 */
export interface Resets<WN extends string = string, AN extends string = string> {
  /** Reset generation per window name (a whole number ≥ 1). */
  readonly windows?: { readonly [N in WN]?: number };
  /** Reset generation per aggregate name (a whole number ≥ 1). */
  readonly aggregates?: { readonly [N in AN]?: number };
}

/** Resets after validation (generation 0 for every name not listed). */
export interface NormalizedResets {
  readonly windows: Readonly<Record<string, number>>;
  readonly aggregates: Readonly<Record<string, number>>;
}

/**
 * Validate `resets` against the defined window and aggregate names.
 * @throws DefinitionError naming `resets.windows.<name>` (or aggregates) and quoting the bad value.
 */
export function normalizeResets(
  resets: unknown,
  windows: readonly string[],
  aggregates: readonly string[],
): NormalizedResets {
  if (resets === undefined) return { windows: {}, aggregates: {} };
  if (!resets || typeof resets !== 'object' || Array.isArray(resets)) {
    throw new DefinitionError('resets', `expected { windows?: {...}, aggregates?: {...} }, got ${quote(resets)}`);
  }
  const input = resets as Record<string, unknown>;
  for (const section of Object.keys(input)) {
    if (section !== 'windows' && section !== 'aggregates') {
      throw new DefinitionError(`resets.${section}`, `expected 'windows' or 'aggregates', got ${quote(section)}`);
    }
  }
  const one = (section: 'windows' | 'aggregates', names: readonly string[]): Record<string, number> => {
    const value = input[section];
    if (value === undefined) return {};
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new DefinitionError(
        `resets.${section}`,
        `expected an object of reset generations by name, got ${quote(value)}`,
      );
    }
    const out: Record<string, number> = {};
    for (const [name, generation] of Object.entries(value as Record<string, unknown>)) {
      if (!names.includes(name)) {
        throw new DefinitionError(
          `resets.${section}.${name}`,
          `unknown ${section === 'windows' ? 'window' : 'aggregate'} ${quote(name)}; defined: ${names.join(', ')}`,
        );
      }
      if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) {
        throw new DefinitionError(
          `resets.${section}.${name}`,
          `expected a reset generation (a whole number from 1; bump it to reset again), got ${quote(generation)}`,
        );
      }
      out[name] = generation;
    }
    return out;
  };
  return { windows: one('windows', windows), aggregates: one('aggregates', aggregates) };
}
