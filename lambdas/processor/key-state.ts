import { emptyState, type KeyState, type Layout, stateUnder } from '../../core';
import { compareSequence, type LayoutRegistry, type PendingWork, UnknownLayoutError } from '../state/index';
import { readStoredValue } from './stored-state';

/**
 * The engine state of a key as `layout` reads it (README "Changing a pipeline"), or the asynchronous work needed
 * first, for the store's commit protocol ({@link PendingWork}):
 *
 * - before anything is written under `layout`, its descriptor is put in the table's layout registry (once per
 *   container), so a processor of another definition (newer, or older after a rollback) can read what this one writes;
 * - a state written under another layout is translated by name (core/evolution/translate.ts) once that layout's
 *   descriptor is read from the registry; an unknown layout fails the key with {@link UnknownLayoutError} (state is
 *   never read by position under another meaning).
 *
 * Without a registry (test doubles of the store), states of other layouts cannot be read. `switchTime`: see
 * {@link switchTimeOf}.
 */
export function keyStateFor(
  layout: Layout,
  layouts: LayoutRegistry | undefined,
  key: string,
  stored: unknown,
  switchTime?: number,
): KeyState | PendingWork {
  if (layouts && !layouts.isRegistered(layout.fingerprint)) {
    return { pending: () => layouts.register(layout.descriptor) };
  }
  if (stored === undefined) return emptyState();
  const read = stateUnder(layout, readStoredValue(key, stored).k, layouts?.lookup ?? (() => undefined), switchTime);
  if ('state' in read) return read.state;
  if (!layouts) throw new UnknownLayoutError(read.missing, '(no layout registry)');
  return { pending: () => layouts.fetch([read.missing]) };
}

/**
 * The time a definition switch happens at for a key, if this write translates its state: the stream time of the
 * first record above the key's fence (its source's; with per-key stream time its event time, which the key's stream
 * time then covers), as replay translates before the same record.
 */
export function switchTimeOf(
  records: readonly { readonly sequence: string; readonly time: number; readonly streamTime: number }[],
  done: string | undefined,
  perKey: boolean | undefined,
): number | undefined {
  const first = done === undefined ? records[0] : records.find((r) => compareSequence(r.sequence, done) > 0);
  if (!first) return undefined;
  return perKey ? first.time : first.streamTime;
}
