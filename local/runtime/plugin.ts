import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Pipeline } from '../../core';
import type { ResourceNames } from '../../core/names';
import type { EngineEndpoints } from '../engines/index';

/** What a plugin gets when the runtime starts it (engines up, stream and tables created). */
export interface PluginContext {
  pipeline: Pipeline;
  names: ResourceNames;
  endpoints: EngineEndpoints;
  /** The runtime's clients (the DynamoDB one reports landed state writes to the live view). */
  clients: { kinesis: KinesisClient; dynamodb: Pick<DynamoDBClient, 'send'> };
  /** The working folder (`.streamfold`). */
  dir: string;
  /** Print a line (above the live view). */
  log: (line: string) => void;
}

/**
 * THE hook for more moving parts in a local run, e.g. emission: a DynamoDB-stream poller feeding the emitter handler
 * plus a closer timer. The runtime starts plugins after the processor's event source mapping, drains them after it
 * (`drain`), and stops them before the engines, in reverse order.
 */
export interface RuntimePlugin {
  readonly name: string;
  start(context: PluginContext): Promise<void>;
  /** Wait until everything the processor wrote so far is handled (optional). */
  drain?(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
  /** One line for the live view (optional). */
  status?(): string;
}
