import { setTimeout as sleep } from 'node:timers/promises';
import type { QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DueIndex } from '../../../lambdas/state/due-index';
import { StoreCallFailedError } from '../../../lambdas/state/errors';
import { DUE_PARTITION_PREFIX, DUE_PARTITIONS } from '../../../lambdas/state/tables';
import { UsageMeter } from '../../../lambdas/state/usage';

// Found by the chaos sweep (seed 746, once the store stopped resending calls): one partition's Query failed at once,
// the closer run failed while the other partitions' Queries were still in flight, and one of them (a crash after its
// call) killed the process during the run that retried. A run must not end while its calls are in flight.
describe('DueIndex', () => {
  it('a failed due query ends the run only after every partition has answered', async () => {
    // No engine throttles on demand: this client throttles partition 0 (as the SDK reports one it gave up on) and
    // answers the others after 30 ms.
    let inFlight = 0;
    const client = {
      send: async (command: QueryCommand) => {
        const partition = command.input.ExpressionAttributeValues?.[':pk']?.S ?? '';
        if (partition === `${DUE_PARTITION_PREFIX}0`) {
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { attempts: 3 } });
        }
        inFlight++;
        await sleep(30);
        inFlight--;
        return { Items: [], ConsumedCapacity: { CapacityUnits: 0.5 } };
      },
    };
    const index = new DueIndex({ client: client as never, tableName: 't', usage: new UsageMeter(), now: () => 0 });
    const failure = await index.dueBy(Date.UTC(2030, 0, 1)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreCallFailedError);
    expect(DUE_PARTITIONS).toBeGreaterThan(1);
    expect(inFlight).toBe(0);
  });
});
