import type { DefinitionChange } from './change';
import type { DefinitionLock } from './lock';
import { type Compatibility, schemaProblems } from './schema-compat';

/**
 * The changes of the event schema from `before` to `after`: its compatibility mode, and the schema itself checked
 * in the new mode (not compared when either side has no JSON Schema).
 */
export function schemaChanges(before: DefinitionLock, after: DefinitionLock): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  const mode = after.schema.compatibility;
  if (before.schema.compatibility !== mode) {
    changes.push({
      subject: 'schema',
      class: 'compatible',
      what: `compatibility ${before.schema.compatibility} → ${mode}`,
    });
  }
  const oldSchema = before.schema.jsonSchema;
  const newSchema = after.schema.jsonSchema;
  if (oldSchema === null || newSchema === null) {
    if (oldSchema !== newSchema || after.schema.note) {
      changes.push({
        subject: 'schema',
        class: 'compatible',
        what: `not compared: ${after.schema.note ?? before.schema.note ?? 'no JSON Schema'}`,
      });
    }
  } else if (JSON.stringify(oldSchema) !== JSON.stringify(newSchema)) {
    changes.push(schemaChange(oldSchema, newSchema, mode));
  }
  return changes;
}

/** A changed JSON Schema, compatible in `mode` or not. */
function schemaChange(
  oldSchema: Record<string, unknown>,
  newSchema: Record<string, unknown>,
  mode: Compatibility,
): DefinitionChange {
  const problems = schemaProblems(oldSchema, newSchema, mode);
  if (problems.length === 0) {
    return {
      subject: 'schema',
      class: 'compatible',
      what: `${schemaSummary(oldSchema, newSchema)}: ${mode} compatible`,
    };
  }
  return {
    subject: 'schema',
    class: 'incompatible',
    acceptable: true,
    what: `not ${mode} compatible: ${groupProblems(problems)}`,
    wayOut:
      'keep old events valid (add fields as optional, widen rather than narrow), or accept it: streamfold check --write --accept schema',
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
