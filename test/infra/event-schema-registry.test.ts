/** EventSchemaRegistry alone: the pipeline's event schema in the Glue Schema Registry, and its checks. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventSchemaRegistry, SettingError } from '../../lib';
import { clickstream } from '../../pipelines/clickstream';
import { bareStack, templateOf } from './construct-fixture';

describe('EventSchemaRegistry', () => {
  it("registers the event schema's draft-07 JSON Schema with the compatibility mode", () => {
    const stack = bareStack();
    const registry = new EventSchemaRegistry(stack, 'Schemas', { pipeline: clickstream, compatibility: 'FULL' });
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::Glue::Registry', { Name: `${clickstream.name}-schemas` });
    t.hasResourceProperties('AWS::Glue::Schema', {
      Name: `${clickstream.name}-events`,
      DataFormat: 'JSON',
      Compatibility: 'FULL',
    });
    const schema = JSON.parse(registry.schema.schemaDefinition ?? '{}') as { $schema: string; properties: object };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['eventId', 'userId', 'type', 'ts']));
  });

  it('defaults to BACKWARD and `<pipeline>-schemas`, or takes a registry name', () => {
    const stack = bareStack();
    new EventSchemaRegistry(stack, 'Schemas', { pipeline: clickstream, registryName: 'shared' });
    templateOf(stack).hasResourceProperties('AWS::Glue::Registry', { Name: 'shared' });
    templateOf(stack).hasResourceProperties('AWS::Glue::Schema', { Compatibility: 'BACKWARD' });
  });

  it('fails if the event schema gives no JSON Schema', () => {
    const opaque = {
      ...clickstream,
      schema: { '~standard': { ...clickstream.schema['~standard'], jsonSchema: undefined } },
    };
    const build = () => new EventSchemaRegistry(bareStack(), 'S', { pipeline: opaque as typeof clickstream });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(/schemaRegistry.*has none/);
  });

  it('fails if the JSON Schema is larger than the registry takes (170,000 characters)', () => {
    const fields = Object.fromEntries(
      Array.from({ length: 4000 }, (_, i) => [`field_${i}_${'x'.repeat(30)}`, z.string()]),
    );
    const huge = { ...clickstream, schema: z.object(fields) };
    const build = () => new EventSchemaRegistry(bareStack(), 'S', { pipeline: huge as unknown as typeof clickstream });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(/at most 170000 characters \(it has \d+\)/);
  });
});
