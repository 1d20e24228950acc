// Deliberate bugs for the oracle's self-test: a DynamoDB client that loses state writes but answers as if they landed.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Pipeline } from '../../core';
import { oracle } from './oracle';
import type { ShardLog } from './shard-log';

type DynamoSend = Pick<DynamoDBClient, 'send'>;

/**
 * A deliberate bug, aimed at one key (the {@link busiestKey}):
 * - `lose-key`: every state write of the key is dropped; the key's windows never reach the table.
 * - `stale-key`: the key's first landed write stays, every later one is dropped; the table keeps a stale value.
 */
export type Sabotage = 'lose-key' | 'stale-key';

/**
 * The key with the most applied events (by the oracle, with nothing on the failure destination), and that count.
 * In the `poison` family some of them may end on the failure destination instead: aim at a `faults` schedule.
 *
 * Why `stale-key` must be caught when `applied` exceeds the batch size: the key's first landed write comes from one
 * invocation, whose batch is a run of at most `batchSize` consecutive records of the shard; the key's other applied
 * records are outside it, so the stale value lacks events the oracle counts, whichever way invocations interleave.
 */
export function busiestKey(pipeline: Pipeline, log: ShardLog): { key: string; applied: number } {
  const applied = new Map<string, number>();
  const tumbling = pipeline.windows.find((w) => w.kind === 'tumbling');
  if (!tumbling) throw new Error(`pipeline ${pipeline.name} has no tumbling window to count applied events by`);
  for (const r of oracle(pipeline, log.records, log.ranges, new Set()).results) {
    if (r.window !== tumbling.name) continue;
    applied.set(r.key, (applied.get(r.key) ?? 0) + Number(r.values.events));
  }
  let best = { key: '', applied: -1 };
  for (const [key, n] of applied)
    if (n > best.applied || (n === best.applied && key < best.key)) best = { key, applied: n };
  return best;
}

/** Wrap `real` so that state writes of `key` are lost as `mode` says, while the caller is told they landed. */
export function sabotageStateWrites(real: DynamoSend, stateTable: string, mode: Sabotage, key: string): DynamoSend {
  let landed = 0;
  const send = (async (command: any) => {
    const input = command.input;
    const isVictim =
      command.constructor.name === 'PutItemCommand' &&
      input.TableName === stateTable &&
      input.Item?.sk?.S === 'state' &&
      input.Item?.pk?.S === key;
    if (isVictim && (mode === 'lose-key' || landed > 0))
      return { $metadata: {}, ConsumedCapacity: { CapacityUnits: 1 } };
    const out = await real.send(command);
    if (isVictim) landed++;
    return out;
  }) as DynamoSend['send'];
  return { send };
}
