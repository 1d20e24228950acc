import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Compatibility, eventJsonSchema, schemaProblems } from '../../../core';

const json = (schema: z.ZodType) => eventJsonSchema(schema as never).jsonSchema!;
const ok = (before: z.ZodType, after: z.ZodType, mode: Compatibility) =>
  schemaProblems(json(before), json(after), mode).length === 0;

const Base = z.object({ id: z.string(), kind: z.enum(['a', 'b']), n: z.number(), note: z.string().optional() });

describe('event schema compatibility (writer: declared fields; reader: as it is)', () => {
  it.each([
    // [change, schema after, BACKWARD, FORWARD, FULL]
    ['add an optional field', Base.extend({ extra: z.string().optional() }), true, true, true],
    ['add a required field', Base.extend({ extra: z.string() }), false, true, false],
    ['remove an optional field', Base.omit({ note: true }), true, true, true],
    ['make a field optional', Base.extend({ n: z.number().optional() }), true, false, false],
    ['widen an enum', Base.extend({ kind: z.enum(['a', 'b', 'c']) }), true, false, false],
    ['narrow an enum', Base.extend({ kind: z.enum(['a']) }), false, true, false],
    ['change a type', Base.extend({ n: z.string() }), false, false, false],
    ['number to nullable number', Base.extend({ n: z.number().nullable() }), true, false, false],
    ['integer only', Base.extend({ n: z.number().int() }), false, true, false],
    ['a longer maximum length', Base.extend({ id: z.string().max(10) }), false, true, false],
    ['refuse unknown fields (strict)', Base.strict(), true, true, true],
  ])('%s', (_, after, backward, forward, full) => {
    expect(ok(Base, after, 'BACKWARD')).toBe(backward);
    expect(ok(Base, after, 'FORWARD')).toBe(forward);
    expect(ok(Base, after, 'FULL')).toBe(full);
  });

  it('a strict reader refuses fields the old producers sent', () => {
    const strictOld = Base.strict();
    expect(schemaProblems(json(Base.extend({ extra: z.string() })), json(strictOld), 'BACKWARD')).toEqual([
      'old events rejected by the new schema: $.extra: no longer accepted (the reader allows no other fields)',
    ]);
  });

  it('problems name the path and why', () => {
    expect(schemaProblems(json(Base), json(Base.extend({ kind: z.enum(['a']), n: z.string() })), 'BACKWARD')).toEqual([
      'old events rejected by the new schema: $.kind: value "b" is not one of the reader\'s values',
      'old events rejected by the new schema: $.n: type number is no longer accepted (string)',
    ]);
  });

  it('nested objects, arrays and unions', () => {
    const A = z.object({
      tags: z.array(z.string()),
      geo: z.object({ lat: z.number() }),
      v: z.union([z.string(), z.number()]),
    });
    expect(ok(A, A.extend({ geo: z.object({ lat: z.number(), lon: z.number().optional() }) }), 'FULL')).toBe(true);
    expect(ok(A, A.extend({ tags: z.array(z.number()) }), 'BACKWARD')).toBe(false);
    expect(ok(A, A.extend({ v: z.string() }), 'BACKWARD')).toBe(false);
    expect(ok(A, A.extend({ v: z.union([z.string(), z.number(), z.boolean()]) }), 'BACKWARD')).toBe(true);
  });

  it('a construct it cannot compare counts as a problem unless unchanged', () => {
    const before = { type: 'object', properties: { x: { type: 'string', not: { const: 'a' } } } };
    expect(schemaProblems(before, before, 'FULL')).toEqual([]);
    const after = { type: 'object', properties: { x: { type: 'string', not: { const: 'b' } } } };
    expect(schemaProblems(before, after, 'BACKWARD')[0]).toMatch(/\$\.x: cannot compare the reader's "not"/);
  });
});
