import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import type { Compatibility, Pipeline } from '../core';
import { SettingError } from '../core/errors';

/** Largest schema definition the Glue Schema Registry takes (characters). */
const MAX_SCHEMA_DEFINITION = 170_000;

/** Props of {@link EventSchemaRegistry}. */
export interface EventSchemaRegistryProps {
  /** The pipeline whose event schema is registered (a zod schema: its JSON Schema, draft-07, input side). */
  readonly pipeline: Pipeline;
  /**
   * Compatibility mode of the schema in the registry: the same rule `streamfold check` applies.
   * @default 'BACKWARD'
   */
  readonly compatibility?: Compatibility;
  /**
   * Registry name.
   * @default - `<pipeline>-schemas`
   */
  readonly registryName?: string;
}

/**
 * The pipeline's event schema in the AWS Glue Schema Registry (JSON format), with the lock file's compatibility mode,
 * so producers in other languages validate their events against it (Glue's serializers) and every new version is
 * checked by the registry too.
 */
export class EventSchemaRegistry extends Construct {
  readonly registry: glue.CfnRegistry;
  readonly schema: glue.CfnSchema;

  constructor(scope: Construct, id: string, props: EventSchemaRegistryProps) {
    super(scope, id);
    const { pipeline } = props;
    const definition = draft07(pipeline);
    if (definition === undefined) {
      throw new SettingError(
        'schemaRegistry',
        true,
        `false, or an event schema that gives a JSON Schema (zod); pipeline "${pipeline.name}" has none`,
      );
    }
    if (definition.length > MAX_SCHEMA_DEFINITION) {
      throw new SettingError(
        'schemaRegistry',
        true,
        `false, or an event schema whose JSON Schema is at most ${MAX_SCHEMA_DEFINITION} characters (it has ${definition.length})`,
      );
    }
    this.registry = new glue.CfnRegistry(this, 'Registry', {
      name: props.registryName ?? `${pipeline.name}-schemas`,
      description: `streamfold pipeline ${pipeline.name}: event schemas`,
    });
    this.schema = new glue.CfnSchema(this, 'Schema', {
      name: `${pipeline.name}-events`,
      registry: { arn: this.registry.attrArn },
      dataFormat: 'JSON',
      compatibility: props.compatibility ?? 'BACKWARD',
      schemaDefinition: definition,
      description: `Events of streamfold pipeline ${pipeline.name} (checked by streamfold check against its lock file)`,
    });
  }
}

function draft07(pipeline: Pipeline): string | undefined {
  const standard = pipeline.schema['~standard'] as Pipeline['schema']['~standard'] & {
    jsonSchema?: { input?: (options: { target: string; libraryOptions?: Record<string, unknown> }) => unknown };
  };
  if (typeof standard.jsonSchema?.input !== 'function') return undefined;
  try {
    return JSON.stringify(
      standard.jsonSchema.input({ target: 'draft-07', libraryOptions: { unrepresentable: 'any' } }),
    );
  } catch {
    return undefined;
  }
}
