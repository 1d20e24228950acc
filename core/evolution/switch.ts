import type { Pipeline } from '../definition';
import { type Layout, layoutOf } from '../engine/layout';
import type { KeyState } from '../engine/state';
import { DefinitionError, quote } from '../errors';
import type { LayoutDescriptor } from './descriptor';
import { translateState } from './translate';

/** A definition switch in an offline replay: from input line `line` on (1-based), records run under `pipeline`. */
export interface DefinitionSwitch {
  readonly line: number;
  readonly pipeline: Pipeline;
}

/**
 * The definitions of a replay over time (`ReplayOptions.switchAt`): which pipeline and layout each line runs
 * under, and the descriptors of every layout seen, so a key's state is translated by name the first time a later
 * definition touches it — exactly as the deployed processor translates it on its first write after a deploy.
 */
export class DefinitionTimeline {
  readonly #steps: { line: number; pipeline: Pipeline; layout: Layout }[];
  readonly #descriptors = new Map<string, LayoutDescriptor>();

  constructor(first: Pipeline, switches: DefinitionSwitch | readonly DefinitionSwitch[] | undefined) {
    const list = switches === undefined ? [] : Array.isArray(switches) ? switches : [switches as DefinitionSwitch];
    let previous = 1;
    this.#steps = [{ line: 1, pipeline: first, layout: layoutOf(first) }];
    for (const [i, s] of list.entries()) {
      if (!Number.isSafeInteger(s?.line) || s.line < previous) {
        throw new DefinitionError(
          `switchAt[${i}].line`,
          `expected a line number from ${previous} (switches in line order), got ${quote(s?.line)}`,
        );
      }
      if (!s.pipeline || !Array.isArray(s.pipeline.windows)) {
        throw new DefinitionError(
          `switchAt[${i}].pipeline`,
          `expected a pipeline definition, got ${quote(s.pipeline)}`,
        );
      }
      previous = s.line;
      this.#steps.push({ line: s.line, pipeline: s.pipeline, layout: layoutOf(s.pipeline) });
    }
    for (const step of this.#steps) this.#descriptors.set(step.layout.fingerprint, step.layout.descriptor);
  }

  /** The pipeline and layout line `line` runs under. */
  at(line: number): { readonly pipeline: Pipeline; readonly layout: Layout } {
    let current = this.#steps[0]!;
    for (const step of this.#steps) if (step.line <= line) current = step;
    return current;
  }

  /** The last definition (what the end of input is flushed under). */
  get last(): { readonly pipeline: Pipeline; readonly layout: Layout } {
    return this.#steps[this.#steps.length - 1]!;
  }

  /**
   * `state` as `layout` reads it (translated by name when another layout of this replay wrote it), before a record
   * at stream time `switchTime` (see `translateState`).
   */
  read(layout: Layout, state: KeyState, switchTime?: number): KeyState {
    if (state.l === undefined || state.l === layout.fingerprint) return state;
    const from = this.#descriptors.get(state.l);
    if (!from) throw new DefinitionError('switchAt', `no definition of this replay has layout ${quote(state.l)}`);
    return translateState(from, layout, state, switchTime);
  }
}
