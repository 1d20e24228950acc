import type { Layout } from './layout';
import { type KeyState, parseState, serializeState } from './state';
import { forgetNextClose } from './timed';
import type { EngineRecord } from './types';

/**
 * Keeps a key's state under `maxStateBytes`, record by record, without serialising it for every record: the exact size
 * is measured at the start and after windows close; each record adds an upper bound of what it can add (a few times
 * its own size per window it lands in). Only when that estimate reaches half the limit is the state serialised
 * around the record, and a record that would pass the limit is rolled back. The decision is the same whatever the
 * batching (replay's one-line batches or the processor's), because it is exact whenever it could matter.
 */
export class SizeGuard {
  #estimate = 0;
  readonly #st: KeyState;
  readonly #limit: number;
  /** Upper bound of what one record adds per byte of its own and in all: the window instances it can land in. */
  readonly #instances: number;
  readonly #perInstance: number;

  constructor(layout: Layout, st: KeyState, limit: number) {
    this.#st = st;
    this.#limit = limit;
    this.#instances =
      layout.timedWindows.reduce((n, w) => n + Math.ceil(w.sizeMs / w.advanceMs), 0) + layout.sessionWindows.length;
    this.#perInstance = 64 + 32 * layout.pipeline.aggregates.length;
    this.measure();
  }

  /**
   * Measure the state exactly (after windows closed: snapshots can add up to the size of their slices). Dedupe claims
   * do not count: the storage moves a hot key's claims out of its item, and replay keeps them all.
   */
  measure(): void {
    this.#estimate = sizeWithoutClaims(this.#st);
  }

  /** Before applying `record`: the state's text when the record could bring it near the limit, else undefined. */
  begin(record: EngineRecord): string | undefined {
    const bytes = record.bytes ?? Buffer.byteLength(JSON.stringify(record.event) ?? '', 'utf8');
    this.#estimate += this.#instances * (this.#perInstance + 4 * bytes) + 64;
    if (this.#estimate <= this.#limit / 2) return undefined;
    return serializeState(this.#st);
  }

  /** After applying: true (and the state restored to `before`) when the record made it larger than the limit. */
  exceeded(before: string | undefined): boolean {
    if (before === undefined) return false;
    const after = sizeWithoutClaims(this.#st);
    if (after <= this.#limit) {
      this.#estimate = after;
      return false;
    }
    const back = parseState(before);
    for (const k of Object.keys(this.#st) as (keyof KeyState)[]) delete this.#st[k];
    Object.assign(this.#st, back);
    forgetNextClose(this.#st);
    this.measure();
    return true;
  }
}

/** UTF-8 bytes of a state's JSON without its dedupe claims. */
function sizeWithoutClaims(st: KeyState): number {
  return Buffer.byteLength(serializeState(st.d || st.D ? { ...st, d: undefined, D: undefined } : st), 'utf8');
}
