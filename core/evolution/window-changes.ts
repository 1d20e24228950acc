import { type DefinitionChange, formatMs } from './change';
import type { DefinitionLock, LockedWindow } from './lock';

/** The changes of the windows from `before` to `after`: added, re-added under a retired name, changed, removed. */
export function windowChanges(before: DefinitionLock, after: DefinitionLock): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  for (const [name, b] of Object.entries(after.windows)) {
    const change = windowChange(before, name, before.windows[name], b);
    if (change) changes.push(change);
  }
  for (const name of Object.keys(before.windows)) {
    if (!after.windows[name]) {
      changes.push({
        subject: `windows.${name}`,
        class: 'compatible',
        what: 'removed: its open instances are dropped (no final result)',
      });
    }
  }
  return changes;
}

/** The change of window `name` (`a` before, `b` after), or undefined when it did not change. */
function windowChange(
  before: DefinitionLock,
  name: string,
  a: LockedWindow | undefined,
  b: LockedWindow,
): DefinitionChange | undefined {
  const subject = `windows.${name}`;
  const retired = a ? undefined : retiredWindow(before, name, b);
  if (retired) {
    return {
      subject,
      class: 'incompatible',
      what: `added under the name of a removed window of another meaning (${describeWindow(retired)}, layout ${retired.layout}): its instances would take the result ids of instances that window may have emitted`,
      wayOut: 'give the window a new name (its result ids are then its own)',
    };
  }
  if (!a) {
    return {
      subject,
      class: 'partial',
      what: `added (${describeWindow(b)}): its instances open at the switch report every aggregate partial`,
    };
  }
  if (a.fingerprint === b.fingerprint) return undefined;
  const diffs = windowDiffs(a, b).join(', ');
  if (b.reset > a.reset) {
    return {
      subject,
      class: 'partial',
      what: `reset (declared, generation ${b.reset}; ${diffs}): starts empty, its instances open at the switch report every aggregate partial`,
    };
  }
  return {
    subject,
    class: 'incompatible',
    what: `${diffs}: its stored instances cannot be read with the new meaning`,
    wayOut: `rename the window (the old one is dropped, the new one starts with partial windows), or declare a reset in the definition: resets: { windows: { ${name}: ${a.reset + 1} } }`,
  };
}

/**
 * A window of a layout in the lock's history (`layouts`, the last 20) named `name` whose meaning (kind, size,
 * advance, gap, grace) differs from `now`: a name re-used after a removal. Result ids hash the window's name and an instance's
 * start, not its meaning, so the new window could emit ids the old one emitted.
 */
function retiredWindow(
  before: DefinitionLock,
  name: string,
  now: LockedWindow,
): (LockedWindow & { readonly layout: string }) | undefined {
  for (const layout of before.layouts) {
    const w = layout.windows.find((x) => x.name === name);
    if (!w) continue;
    const same =
      w.kind === now.kind &&
      w.sizeMs === now.sizeMs &&
      w.advanceMs === now.advanceMs &&
      w.gapMs === now.gapMs &&
      w.graceMs === now.graceMs;
    if (!same) return { ...w, layout: layout.fingerprint };
  }
  return undefined;
}

function describeWindow(w: LockedWindow): string {
  const grace = `grace ${formatMs(w.graceMs)}`;
  if (w.kind === 'tumbling') return `tumbling ${formatMs(w.sizeMs)}, ${grace}`;
  if (w.kind === 'hopping') return `hopping ${formatMs(w.sizeMs)} every ${formatMs(w.advanceMs)}, ${grace}`;
  return `session gap ${formatMs(w.gapMs)}, ${grace}`;
}

function windowDiffs(a: LockedWindow, b: LockedWindow): string[] {
  const out: string[] = [];
  if (a.kind !== b.kind) out.push(`kind ${a.kind} → ${b.kind}`);
  for (const [k, label] of [
    ['sizeMs', 'size'],
    ['advanceMs', 'advance'],
    ['gapMs', 'gap'],
    ['graceMs', 'grace'],
  ] as const) {
    const shown = a.kind === b.kind || k === 'graceMs';
    const implied = k === 'advanceMs' && b.kind === 'tumbling'; // a tumbling window advances by its size
    if (a[k] !== b[k] && shown && !implied) out.push(`${label} ${formatMs(a[k])} → ${formatMs(b[k])}`);
  }
  if (a.reset !== b.reset) out.push(`reset generation ${a.reset} → ${b.reset}`);
  return out;
}
