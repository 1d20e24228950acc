import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeliveryMarkers, MeteredSpillStore, redeliverSpilled } from '../../lambdas/emitter/index';
import type { SideOutputSink } from '../../lambdas/side-output/index';
import type { Sink } from '../../lambdas/sinks/index';
import type { EmissionTally } from './emission-types';
import type { FolderSpillStore } from './folder-spill-store';

/** What the re-delivery of spilled messages uses. */
export interface RedeliveryOptions {
  /** The closer's DynamoDB client (the re-delivery runs as the closer) and the dedupe table of the markers. */
  dynamodb: Pick<DynamoDBClient, 'send'>;
  dedupeTable: string;
  sinks: Sink[];
  spill: FolderSpillStore;
  sideOutputs: { rejected: SideOutputSink; late: SideOutputSink };
  tally: EmissionTally;
  log(line: string): void;
  warn(part: string, error: unknown): void;
}

/**
 * Re-deliver what the emitter spilled (as the closer does on its schedule in the cloud): the returned function never
 * overlaps itself and never throws (a failure is shown once, the next tick retries).
 */
export function redeliveryFor(options: RedeliveryOptions): () => Promise<void> {
  const { tally } = options;
  const markers = new DeliveryMarkers({ client: options.dynamodb, tableName: options.dedupeTable });
  const spill = new MeteredSpillStore(options.spill);
  let inFlight: Promise<void> | undefined;
  const once = async () => {
    try {
      const run = await redeliverSpilled({ sinks: options.sinks, spill, markers, sideOutputs: options.sideOutputs });
      const usage = markers.takeUsage();
      tally.emitterWriteUnits += usage.writeUnits;
      tally.emitterReadUnits += usage.billedReadUnits;
      tally.redelivered += Object.values(run.delivered).reduce((a, b) => a + b, 0);
      tally.spillObjectsWaiting = run.remaining;
      if (run.completed > 0) options.log(`[emitter] re-delivered ${run.completed} spilled object(s)`);
    } catch (error) {
      options.warn('redelivery', error);
    } finally {
      inFlight = undefined;
    }
  };
  return () => (inFlight ??= once());
}
