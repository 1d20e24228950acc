import { type DefinitionChange, list } from './change';
import type { DefinitionLock, LockedAggregate } from './lock';

/**
 * The changes of the aggregates from `before` to `after`: added, changed (reset or incompatible), function source
 * changed, computed for more or fewer windows, removed.
 */
export function aggregateChanges(before: DefinitionLock, after: DefinitionLock): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  for (const [name, b] of Object.entries(after.aggregates)) {
    const a = before.aggregates[name];
    if (!a) {
      changes.push({
        subject: `aggregates.${name}`,
        class: 'partial',
        what: `added (${b.kind}) in ${list(b.windows)}: window instances open at the switch report it partial`,
      });
    } else if (a.fingerprint !== b.fingerprint) {
      changes.push(meaningChange(name, a, b));
    } else {
      changes.push(...sameMeaningChanges(before, after, name, a, b));
    }
  }
  for (const name of Object.keys(before.aggregates)) {
    if (!after.aggregates[name]) {
      changes.push({ subject: `aggregates.${name}`, class: 'compatible', what: 'removed: dropped from stored state' });
    }
  }
  return changes;
}

/** Aggregate `name` means something else (kind, options, reset, init state): a declared reset, else incompatible. */
function meaningChange(name: string, a: LockedAggregate, b: LockedAggregate): DefinitionChange {
  const subject = `aggregates.${name}`;
  const diffs = aggregateDiffs(a, b).join(', ');
  if (b.reset > a.reset) {
    return {
      subject,
      class: 'partial',
      what: `reset (declared, generation ${b.reset}; ${diffs}): starts from init(), window instances open at the switch report it partial`,
    };
  }
  return {
    subject,
    class: 'incompatible',
    what: `${diffs}: its stored state cannot be read with the new meaning`,
    wayOut: `rename the aggregate (the old one is dropped, the new one starts partial), or declare a reset in the definition: resets: { aggregates: { ${name}: ${a.reset + 1} } }`,
  };
}

/** Changes of an aggregate of the same fingerprint: its function source, the windows it is computed for. */
function sameMeaningChanges(
  before: DefinitionLock,
  after: DefinitionLock,
  name: string,
  a: LockedAggregate,
  b: LockedAggregate,
): DefinitionChange[] {
  const subject = `aggregates.${name}`;
  const changes: DefinitionChange[] = [];
  const sources = sourceDiffs(a, b);
  if (sources.length > 0) {
    changes.push({
      subject,
      class: 'incompatible',
      acceptable: true,
      what: `${sources.join(', ')} (function source): the values stored so far were computed by the old code, and would be merged with the new`,
      wayOut: `rename it, or declare a reset in the definition: resets: { aggregates: { ${name}: ${a.reset + 1} } }; if the meaning did not change (a refactor), accept it: streamfold check --write --accept ${subject}`,
    });
  }
  // Windows that carry over and now compute it (new and reset windows are reported as windows).
  const newlyIn = b.windows.filter(
    (w) => !a.windows.includes(w) && before.windows[w]?.fingerprint === after.windows[w]?.fingerprint,
  );
  if (newlyIn.length > 0) {
    changes.push({
      subject,
      class: 'partial',
      what: `now also in ${list(newlyIn)}: instances of ${newlyIn.length > 1 ? 'those windows' : 'that window'} open at the switch report it partial`,
    });
  }
  const lost = a.windows.filter((w) => !b.windows.includes(w) && after.windows[w]);
  if (lost.length > 0) {
    changes.push({
      subject,
      class: 'compatible',
      what: `no longer in ${list(lost)}: dropped from ${lost.length > 1 ? 'their' : 'its'} stored state`,
    });
  }
  return changes;
}

const optionsText = (o: LockedAggregate['options']) =>
  o
    ? Object.entries(o)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
    : 'none';

function aggregateDiffs(a: LockedAggregate, b: LockedAggregate): string[] {
  const out: string[] = [];
  if (a.kind !== b.kind) out.push(`kind ${a.kind} → ${b.kind}`);
  else if (optionsText(a.options) !== optionsText(b.options)) {
    out.push(`options ${optionsText(a.options)} → ${optionsText(b.options)}`);
  }
  if (a.reset !== b.reset) out.push(`reset generation ${a.reset} → ${b.reset}`);
  if (out.length === 0) out.push('its init() state changed');
  return out;
}

function sourceDiffs(a: LockedAggregate, b: LockedAggregate): string[] {
  const roles = [...new Set([...Object.keys(a.sources), ...Object.keys(b.sources)])].sort();
  return roles.flatMap((role) => {
    if (a.sources[role] === b.sources[role]) return [];
    if (a.sources[role] === undefined) return [`${role} added`];
    if (b.sources[role] === undefined) return [`${role} removed`];
    return [`${role} changed`];
  });
}
