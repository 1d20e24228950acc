import type { DefinitionChange } from './change';
import type { DefinitionLock } from './lock';

/** The changes of the alert rules from `before` to `after`: all compatible (evaluated from the switch). */
export function alertChanges(before: DefinitionLock, after: DefinitionLock): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  for (const [name, b] of Object.entries(after.alerts)) {
    const a = before.alerts[name];
    const subject = `alerts.${name}`;
    if (!a) {
      changes.push({
        subject,
        class: 'compatible',
        what: `added on ${b.window}: evaluated from the switch (fires on the first event after it that makes it true)`,
      });
    } else if (a.window !== b.window) {
      changes.push({
        subject,
        class: 'compatible',
        what: `now on ${b.window} (was ${a.window}): evaluated from the switch`,
      });
    } else if (a.source !== b.source) {
      changes.push({
        subject,
        class: 'compatible',
        what: 'condition changed: evaluated from the switch; instances where it already fired do not fire again',
      });
    }
  }
  for (const name of Object.keys(before.alerts)) {
    if (!after.alerts[name]) changes.push({ subject: `alerts.${name}`, class: 'compatible', what: 'removed' });
  }
  return changes;
}
