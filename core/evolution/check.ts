import { aggregateChanges } from './aggregate-changes';
import { alertChanges } from './alert-changes';
import { CHANGE_CLASS_LABELS, type DefinitionChange } from './change';
import { fieldChanges, settingsChanges } from './field-changes';
import type { DefinitionLock } from './lock';
import { schemaChanges } from './schema-changes';
import { windowChanges } from './window-changes';

/**
 * Classify every change between a definition lock and a definition (as a lock): compatible, carried with partial
 * windows, or incompatible (README "Changing a pipeline" has the rules). Pure.
 */

export { CHANGE_CLASS_LABELS, type ChangeClass, type DefinitionChange, formatMs } from './change';

/** What {@link compareLocks} found. */
export interface CheckReport {
  readonly pipeline: string;
  /** Layout fingerprints before and after. */
  readonly from: string;
  readonly to: string;
  readonly changes: readonly DefinitionChange[];
  /** Incompatible changes not accepted: the check fails when this is above 0. */
  readonly incompatible: number;
}

/** Options of {@link compareLocks}. */
export interface CompareOptions {
  /** Subjects whose acceptable incompatible change is accepted (`streamfold check --accept`). */
  readonly accept?: readonly string[];
}

/** Compare a lock (what is deployed) with the lock of a definition (what is about to be). */
export function compareLocks(before: DefinitionLock, after: DefinitionLock, options: CompareOptions = {}): CheckReport {
  const changes = [
    ...windowChanges(before, after),
    ...aggregateChanges(before, after),
    ...alertChanges(before, after),
    ...fieldChanges(before, after),
    ...settingsChanges(before, after),
    ...schemaChanges(before, after),
  ];
  const accept = new Set(options.accept ?? []);
  const final = changes.map((c) =>
    c.class === 'incompatible' && c.acceptable && accept.has(c.subject) ? { ...c, accepted: true } : c,
  );
  return {
    pipeline: after.pipeline,
    from: before.layout,
    to: after.layout,
    changes: final,
    incompatible: final.filter((c) => c.class === 'incompatible' && !c.accepted).length,
  };
}

/**
 * The report as text: one line per change with its class, the way out under each incompatible change, and a last
 * line with the verdict.
 */
export function formatReport(report: CheckReport): string {
  const lines: string[] = [];
  if (report.changes.length === 0) lines.push('  no changes: the definition matches the lock');
  const width = Math.max(...report.changes.map((c) => c.subject.length), 0);
  for (const c of report.changes) {
    const label = c.accepted ? 'incompatible, accepted' : CHANGE_CLASS_LABELS[c.class];
    lines.push(`  ${label.padEnd(28)}  ${c.subject.padEnd(width)}  ${c.what}`);
    if (c.wayOut && !c.accepted) lines.push(`  ${''.padEnd(28)}  ${''.padEnd(width)}  way out: ${c.wayOut}`);
  }
  const n = report.incompatible;
  lines.push(
    n === 0
      ? `layout ${report.from} → ${report.to}: ok`
      : `layout ${report.from} → ${report.to}: ${n} incompatible change${n > 1 ? 's' : ''}`,
  );
  return `${lines.join('\n')}\n`;
}
