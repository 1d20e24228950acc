import type { DefinitionChange } from './change';
import type { DefinitionLock } from './lock';

/** Why a changed field cannot be carried over (the incompatible ones). */
const FIELD_RULES = {
  key: 'state is kept per key value: every window open at the switch would be split between old and new keys without a partial flag',
  time: 'stored windows hold events by the old event time: windows open at the switch would mix both',
  id: 'claims made before the switch hold the old ids: a resend across the switch would be counted twice',
} as const;

/**
 * The changes of the fields (key, event time, dedupe id, partition key) from `before` to `after`: a routing or dedupe
 * change is compatible, a key or time change (or an id changed to another) is incompatible and acceptable.
 */
export function fieldChanges(before: DefinitionLock, after: DefinitionLock): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  for (const field of ['key', 'time', 'id', 'partitionKey'] as const) {
    const a = before.fields[field];
    const b = after.fields[field];
    if (a === b) continue;
    const what = `${a ?? 'none'} → ${b ?? 'none'}`;
    if (field === 'partitionKey') {
      changes.push({
        subject: 'fields.partitionKey',
        class: 'compatible',
        what: `${what}: records are routed by the new key from the switch`,
      });
    } else if (field === 'id' && a === null) {
      changes.push({ subject: 'fields.id', class: 'compatible', what: `${what}: dedupe from the switch` });
    } else if (field === 'id' && b === null) {
      changes.push({ subject: 'fields.id', class: 'compatible', what: `${what}: no dedupe from the switch` });
    } else {
      changes.push({
        subject: `fields.${field}`,
        class: 'incompatible',
        acceptable: true,
        what: `${what}: ${FIELD_RULES[field]}`,
        wayOut: `deploy it as a new pipeline (another name), or accept it: streamfold check --write --accept fields.${field}`,
      });
    }
  }
  return changes;
}

/** The change of the settings kept in the lock (one, compatible), if any changed. */
export function settingsChanges(before: DefinitionLock, after: DefinitionLock): DefinitionChange[] {
  const settings = (['maxFutureSkewMs', 'retentionMs', 'maxStateBytes'] as const).filter(
    (k) => before.settings[k] !== after.settings[k],
  );
  if (settings.length === 0) return [];
  return [
    {
      subject: 'settings',
      class: 'compatible',
      what: settings.map((k) => `${k} ${before.settings[k]} → ${after.settings[k]}`).join(', '),
    },
  ];
}
