import type { DefinitionLock, LockedAggregate, LockedWindow } from './lock';
import { schemaProblems } from './schema-compat';

/**
 * Classify every change between a definition lock and a definition (as a lock): compatible, carried with partial
 * windows, or incompatible (README "Changing a pipeline" has the rules). Pure.
 */

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

const list = (names: readonly string[]) => names.join(', ');

/** Compare a lock (what is deployed) with the lock of a definition (what is about to be). */
export function compareLocks(before: DefinitionLock, after: DefinitionLock, options: CompareOptions = {}): CheckReport {
  const changes: DefinitionChange[] = [];
  const add = (change: DefinitionChange) => changes.push(change);

  // Windows.
  for (const [name, b] of Object.entries(after.windows)) {
    const a = before.windows[name];
    const subject = `windows.${name}`;
    const retired = a ? undefined : retiredWindow(before, name, b);
    if (retired) {
      add({
        subject,
        class: 'incompatible',
        what: `added under the name of a removed window of another meaning (${describeWindow(retired)}, layout ${retired.layout}): its instances would take the result ids of instances that window may have emitted`,
        wayOut: 'give the window a new name (its result ids are then its own)',
      });
    } else if (!a) {
      add({
        subject,
        class: 'partial',
        what: `added (${describeWindow(b)}): its instances open at the switch report every aggregate partial`,
      });
    } else if (a.fingerprint !== b.fingerprint) {
      const diffs = windowDiffs(a, b).join(', ');
      if (b.reset > a.reset) {
        add({
          subject,
          class: 'partial',
          what: `reset (declared, generation ${b.reset}; ${diffs}): starts empty, its instances open at the switch report every aggregate partial`,
        });
      } else {
        add({
          subject,
          class: 'incompatible',
          what: `${diffs}: its stored instances cannot be read with the new meaning`,
          wayOut: `rename the window (the old one is dropped, the new one starts with partial windows), or declare a reset in the definition: resets: { windows: { ${name}: ${a.reset + 1} } }`,
        });
      }
    }
  }
  for (const name of Object.keys(before.windows)) {
    if (!after.windows[name]) {
      add({
        subject: `windows.${name}`,
        class: 'compatible',
        what: 'removed: its open instances are dropped (no final result)',
      });
    }
  }

  // Aggregates.
  for (const [name, b] of Object.entries(after.aggregates)) {
    const a = before.aggregates[name];
    const subject = `aggregates.${name}`;
    if (!a) {
      add({
        subject,
        class: 'partial',
        what: `added (${b.kind}) in ${list(b.windows)}: window instances open at the switch report it partial`,
      });
      continue;
    }
    if (a.fingerprint !== b.fingerprint) {
      const diffs = aggregateDiffs(a, b).join(', ');
      if (b.reset > a.reset) {
        add({
          subject,
          class: 'partial',
          what: `reset (declared, generation ${b.reset}; ${diffs}): starts from init(), window instances open at the switch report it partial`,
        });
      } else {
        add({
          subject,
          class: 'incompatible',
          what: `${diffs}: its stored state cannot be read with the new meaning`,
          wayOut: `rename the aggregate (the old one is dropped, the new one starts partial), or declare a reset in the definition: resets: { aggregates: { ${name}: ${a.reset + 1} } }`,
        });
      }
      continue;
    }
    const sources = sourceDiffs(a, b);
    if (sources.length > 0) {
      add({
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
      add({
        subject,
        class: 'partial',
        what: `now also in ${list(newlyIn)}: instances of ${newlyIn.length > 1 ? 'those windows' : 'that window'} open at the switch report it partial`,
      });
    }
    const lost = a.windows.filter((w) => !b.windows.includes(w) && after.windows[w]);
    if (lost.length > 0) {
      add({
        subject,
        class: 'compatible',
        what: `no longer in ${list(lost)}: dropped from ${lost.length > 1 ? 'their' : 'its'} stored state`,
      });
    }
  }
  for (const name of Object.keys(before.aggregates)) {
    if (!after.aggregates[name]) {
      add({ subject: `aggregates.${name}`, class: 'compatible', what: 'removed: dropped from stored state' });
    }
  }

  // Alerts.
  for (const [name, b] of Object.entries(after.alerts)) {
    const a = before.alerts[name];
    const subject = `alerts.${name}`;
    if (!a) {
      add({
        subject,
        class: 'compatible',
        what: `added on ${b.window}: evaluated from the switch (fires on the first event after it that makes it true)`,
      });
    } else if (a.window !== b.window) {
      add({ subject, class: 'compatible', what: `now on ${b.window} (was ${a.window}): evaluated from the switch` });
    } else if (a.source !== b.source) {
      add({
        subject,
        class: 'compatible',
        what: 'condition changed: evaluated from the switch; instances where it already fired do not fire again',
      });
    }
  }
  for (const name of Object.keys(before.alerts)) {
    if (!after.alerts[name]) add({ subject: `alerts.${name}`, class: 'compatible', what: 'removed' });
  }

  // Fields.
  const fieldRules = {
    key: 'state is kept per key value: every window open at the switch would be split between old and new keys without a partial flag',
    time: 'stored windows hold events by the old event time: windows open at the switch would mix both',
    id: 'claims made before the switch hold the old ids: a resend across the switch would be counted twice',
  } as const;
  for (const field of ['key', 'time', 'id', 'partitionKey'] as const) {
    const a = before.fields[field];
    const b = after.fields[field];
    if (a === b) continue;
    const what = `${a ?? 'none'} → ${b ?? 'none'}`;
    if (field === 'partitionKey') {
      add({
        subject: 'fields.partitionKey',
        class: 'compatible',
        what: `${what}: records are routed by the new key from the switch`,
      });
    } else if (field === 'id' && a === null) {
      add({ subject: 'fields.id', class: 'compatible', what: `${what}: dedupe from the switch` });
    } else if (field === 'id' && b === null) {
      add({ subject: 'fields.id', class: 'compatible', what: `${what}: no dedupe from the switch` });
    } else {
      add({
        subject: `fields.${field}`,
        class: 'incompatible',
        acceptable: true,
        what: `${what}: ${fieldRules[field]}`,
        wayOut: `deploy it as a new pipeline (another name), or accept it: streamfold check --write --accept fields.${field}`,
      });
    }
  }

  // Settings.
  const settings = (['maxFutureSkewMs', 'retentionMs', 'maxStateBytes'] as const).filter(
    (k) => before.settings[k] !== after.settings[k],
  );
  if (settings.length > 0) {
    add({
      subject: 'settings',
      class: 'compatible',
      what: settings.map((k) => `${k} ${before.settings[k]} → ${after.settings[k]}`).join(', '),
    });
  }

  // Event schema.
  const mode = after.schema.compatibility;
  if (before.schema.compatibility !== mode) {
    add({ subject: 'schema', class: 'compatible', what: `compatibility ${before.schema.compatibility} → ${mode}` });
  }
  const oldSchema = before.schema.jsonSchema;
  const newSchema = after.schema.jsonSchema;
  if (oldSchema === null || newSchema === null) {
    if (oldSchema !== newSchema || after.schema.note) {
      add({
        subject: 'schema',
        class: 'compatible',
        what: `not compared: ${after.schema.note ?? before.schema.note ?? 'no JSON Schema'}`,
      });
    }
  } else if (JSON.stringify(oldSchema) !== JSON.stringify(newSchema)) {
    const problems = schemaProblems(oldSchema, newSchema, mode);
    const summary = schemaSummary(oldSchema, newSchema);
    add(
      problems.length === 0
        ? { subject: 'schema', class: 'compatible', what: `${summary}: ${mode} compatible` }
        : {
            subject: 'schema',
            class: 'incompatible',
            acceptable: true,
            what: `not ${mode} compatible: ${groupProblems(problems)}`,
            wayOut:
              'keep old events valid (add fields as optional, widen rather than narrow), or accept it: streamfold check --write --accept schema',
          },
    );
  }

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

/** Schema problems with their common heads said once (`old events rejected by the new schema: a; b`). */
function groupProblems(problems: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const problem of problems) {
    const at = problem.indexOf(': ');
    const head = at < 0 ? '' : problem.slice(0, at);
    groups.set(head, [...(groups.get(head) ?? []), at < 0 ? problem : problem.slice(at + 2)]);
  }
  return [...groups].map(([head, items]) => (head ? `${head}: ${items.join('; ')}` : items.join('; '))).join('; ');
}

/** What changed in a schema's top-level fields, briefly (`fields added: referrer (optional)`). */
function schemaSummary(before: Record<string, unknown>, after: Record<string, unknown>): string {
  const props = (s: Record<string, unknown>) => (s.properties ?? {}) as Record<string, unknown>;
  const required = (s: Record<string, unknown>) => new Set((s.required ?? []) as string[]);
  const [a, b] = [props(before), props(after)];
  const parts: string[] = [];
  const added = Object.keys(b).filter((k) => !(k in a));
  const removed = Object.keys(a).filter((k) => !(k in b));
  const changed = Object.keys(b).filter((k) => k in a && JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  const req = required(after);
  if (added.length)
    parts.push(`fields added: ${added.map((k) => `${k} (${req.has(k) ? 'required' : 'optional'})`).join(', ')}`);
  if (removed.length) parts.push(`fields removed: ${removed.join(', ')}`);
  if (changed.length) parts.push(`fields changed: ${changed.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'changed';
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
