import type { DynamoDBRecord } from 'aws-lambda';
import type { Pipeline, WindowResult } from '../../core';
import { expandOutbox } from '../processor/outbox';
import { readStoredValue, type StoredAlert } from '../processor/stored-state';
import type { SideOutputMessage } from '../side-output/messages';
import { type AlertMessage, alertId, type ResultMessage, resultId } from '../sinks/messages';
import { decodeStateAttribute } from '../state/codec';
import { STATE_ATTR, STATE_SORT_KEY } from '../state/tables';
import { MalformedStreamRecordError } from './errors';

/** What one state write carries for the emitter. */
export interface StateWrite {
  /** Stream sequence number (the partial batch response's item identifier). */
  readonly sequence: string;
  readonly key: string;
  readonly alerts: AlertMessage[];
  readonly results: ResultMessage[];
  /** The side-output messages the write decided (its outbox: late entries, `state-too-large` rejections). */
  readonly sideOutputs: SideOutputMessage[];
}

/** The alert message of a stored alert. */
export function alertMessage(
  pipeline: Pipeline,
  idKey: Uint8Array,
  alert: Omit<StoredAlert, 'source' | 'sequence'> & Partial<StoredAlert>,
): AlertMessage {
  const description = pipeline.alerts.find((a) => a.name === alert.alert)?.description;
  return {
    kind: 'alert',
    id: alertId(idKey, pipeline.name, alert.alert, alert.window, alert.key, alert.start),
    pipeline: pipeline.name,
    alert: alert.alert,
    ...(description ? { description } : {}),
    window: alert.window,
    key: alert.key,
    start: alert.start,
    end: alert.end,
    values: alert.values,
    ...(alert.source !== undefined && alert.sequence !== undefined
      ? { firedBy: { source: alert.source, sequence: alert.sequence } }
      : {}),
  };
}

/** The result message of a final window result. */
export function resultMessage(pipeline: Pipeline, idKey: Uint8Array, result: WindowResult): ResultMessage {
  return {
    kind: 'result',
    id: resultId(idKey, pipeline.name, result.window, result.key, result.start),
    pipeline: pipeline.name,
    window: result.window,
    key: result.key,
    start: result.start,
    end: result.end,
    values: result.values,
    ...(result.partial ? { partial: [...result.partial] } : {}),
  };
}

/**
 * The alerts and final results a DynamoDB stream record carries (ids under the pipeline's id key, see `loadIdKey`): the `r` and `a` of the NEW image of an INSERT or
 * MODIFY of a state item (sk `state`). Undefined for anything else (checkpoints, result items, TTL deletes).
 * @throws MalformedStreamRecordError when the stored value is not readable.
 */
export function stateWriteOf(pipeline: Pipeline, idKey: Uint8Array, record: DynamoDBRecord): StateWrite | undefined {
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return undefined;
  const image = record.dynamodb?.NewImage;
  const sequence = record.dynamodb?.SequenceNumber;
  if (!image || image[STATE_ATTR.sk]?.S !== STATE_SORT_KEY) return undefined;
  const key = image[STATE_ATTR.pk]?.S;
  const text = decodeStateAttribute(image[STATE_ATTR.state] as never);
  if (sequence === undefined) throw new MalformedStreamRecordError(sequence, 'no SequenceNumber');
  if (key === undefined) throw new MalformedStreamRecordError(sequence, 'no partition key');
  if (text === undefined) return { sequence, key, alerts: [], results: [], sideOutputs: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MalformedStreamRecordError(sequence, `state of key ${JSON.stringify(key)} is not JSON`, { cause: error });
  }
  let stored: ReturnType<typeof readStoredValue>;
  try {
    stored = readStoredValue(key, value);
  } catch (error) {
    throw new MalformedStreamRecordError(sequence, (error as Error).message, { cause: error });
  }
  return {
    sequence,
    key,
    alerts: (stored.a ?? []).map((a) => alertMessage(pipeline, idKey, a)),
    results: (stored.r ?? []).map((r) => resultMessage(pipeline, idKey, r)),
    sideOutputs: expandOutbox(stored.o ?? []),
  };
}
