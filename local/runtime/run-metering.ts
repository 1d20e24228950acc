import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { Pipeline } from '../../core';
import { FUNCTION_DEFAULTS } from '../../core/function-defaults';
import { resourceNames } from '../../core/names';
import type { SideOutputSink } from '../../lambdas/side-output/index';
import type { CleanEventsSink, Sink } from '../../lambdas/sinks/index';
import {
  CostMeter,
  ItemSizes,
  meteredAlertsTopic,
  meteredCleanEvents,
  meteredClient,
  meteredDynamoDb,
  meteredResultsStream,
  meteredSideOutput,
  type RunBill,
  runBill,
  streamfoldItemKinds,
} from '../cost/index';
import { cleanDeliveryStreamNameOf, resultsDeliveryStreamNameOf } from '../warehouse/index';
import type { EmissionInstrumentation } from './emission-types';

/** The components a schedule invokes: their Lambda requests are a monthly charge, not a per-event one. */
const SCHEDULED = ['closer'];

/**
 * Meters every request of a local run as AWS would bill the deployed pipeline (as `bench/bill.ts` does): DynamoDB by
 * AWS's unit rules (missing-key reads included) per component and item kind, Kinesis PUTs and reads, Lambda
 * invocations and GB-seconds, the side-output queues (SQS), the clean-events and results Firehose streams, the alerts
 * topic (SNS). Give it to `startDevRuntime({ metering })` and its `emission` hooks to `emissionPlugin`.
 */
export class RunMetering {
  readonly meter = new CostMeter();
  readonly #names: ReturnType<typeof resourceNames>;
  readonly #pipeline: Pipeline;
  #items: ItemSizes | undefined;

  constructor(pipeline: Pipeline) {
    this.#pipeline = pipeline;
    this.#names = resourceNames(pipeline);
  }

  /** A DynamoDB client of `component`, metered (the first client given also reads item sizes, unmetered). */
  dynamodb(component: string, client: Pick<DynamoDBClient, 'send'>): Pick<DynamoDBClient, 'send'> {
    this.#items ??= new ItemSizes(client);
    const classify = streamfoldItemKinds({ state: this.#names.stateTable, dedupe: this.#names.dedupeTable });
    return meteredDynamoDb({ meter: this.meter, component, client, items: this.#items, classify });
  }

  /** The tables were created empty for this run: a key not seen written does not exist (no read-back). */
  freshTables(): void {
    this.#items?.fresh(this.#names.stateTable);
    this.#items?.fresh(this.#names.dedupeTable);
  }

  /** An SDK client (Kinesis, Firehose, SQS, SNS, S3...) of `component`, metered. */
  client<C extends { send: unknown }>(component: string, client: C): C {
    return meteredClient(this.meter, component, client);
  }

  /** A side-output sink billed as the deployed SQS queue. */
  sideOutput(component: string, kind: 'rejected' | 'late', sink: SideOutputSink): SideOutputSink {
    return meteredSideOutput(
      this.meter,
      component,
      sink,
      kind === 'late' ? this.#names.lateQueue : this.#names.rejectedQueue,
    );
  }

  /** The processor's clean events billed as the deployed Firehose stream. */
  cleanEvents(sink: CleanEventsSink): CleanEventsSink {
    return meteredCleanEvents(this.meter, 'processor', sink, [cleanDeliveryStreamNameOf(this.#pipeline.name)]);
  }

  /** One processor invocation: Lambda time, and the Kinesis retrieval of its records. */
  processorInvoked(event: KinesisStreamEvent, durationMs: number): void {
    this.meter.invocation('processor', FUNCTION_DEFAULTS.processorMemoryMb, durationMs);
    this.meter.kinesisRead(
      'processor',
      this.#names.stream,
      event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').byteLength + r.kinesis.partitionKey.length),
    );
  }

  /** Hooks for `emissionPlugin({ instrument })`: the emitter and the closer metered as deployed. */
  get emission(): EmissionInstrumentation {
    return {
      dynamodb: (component, client) => this.dynamodb(component, client),
      sinks: (sinks) => this.#deployedSinks(sinks),
      sideOutput: (kind, sink) => this.sideOutput('emitter', kind, sink),
      invoked: (component, ms, records) => {
        this.meter.invocation(component, FUNCTION_DEFAULTS.emissionMemoryMb, ms);
        if (records > 0) {
          this.meter.add(component, 'dynamodb-streams', 'state table stream', { getRecords: 1, records });
        }
      },
    };
  }

  /** The bill of what was metered so far, over `events` processed events. */
  bill(events: number): RunBill {
    return runBill(this.meter.lines(), events, { scheduled: SCHEDULED });
  }

  /**
   * The emitter's local sinks billed as the deployed ones: alerts as the SNS topic, final results as the Firehose
   * stream; the console sink (no deployed counterpart) is not billed.
   */
  #deployedSinks(sinks: Sink[]): Sink[] {
    const name = this.#pipeline.name;
    return sinks.map((sink) => {
      if (sink.name === 'local') return sink;
      if (sink.kinds.includes('alert')) return meteredAlertsTopic(this.meter, 'emitter', sink, `${name}-alerts`);
      return meteredResultsStream(this.meter, 'emitter', sink, resultsDeliveryStreamNameOf(name));
    });
  }
}
