import type { MeterLine, Service } from './meter';
import { BYTES_PER_GB, HOURS_PER_MONTH, PRICES, type PriceTable, priceOf } from './prices';

/** How the pipeline is deployed, where it changes the bill. */
export interface BillOptions {
  /** The Kinesis stream's capacity mode. @default 'on-demand' (the CDK app's default) */
  readonly kinesisMode?: 'on-demand' | 'provisioned';
  /** Firehose streams with dynamic partitioning (charged per GB processed on top of ingestion). @default none */
  readonly dynamicPartitioning?: readonly string[];
  /**
   * Components a schedule invokes (the closer): their Lambda requests are a monthly charge ({@link monthlyBill}), not
   * a per-event one; their GB-seconds still count per event (their work grows with the traffic). @default none
   */
  readonly scheduled?: readonly string[];
  /** @default PRICES */
  readonly prices?: PriceTable;
}

/** One charge of a bill: a quantity of one priced unit, for one component, service and detail. */
export interface BillLine {
  readonly component: string;
  readonly service: Service;
  readonly detail: string;
  /** The price applied (a key of the price table), or `free` with the reason in `unit`. */
  readonly charge: keyof PriceTable | 'free';
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

const KB = 1024;

/** The charges of metered usage (no time-based charges: see {@link monthlyBill}). */
export function billLines(lines: readonly MeterLine[], options: BillOptions = {}): BillLine[] {
  const prices = options.prices ?? PRICES;
  const mode = options.kinesisMode ?? 'on-demand';
  const partitioned = new Set(options.dynamicPartitioning ?? []);
  const scheduled = new Set(options.scheduled ?? []);
  const out: BillLine[] = [];
  for (const { component, service, detail, counters: c } of lines) {
    const charge = (name: keyof PriceTable, quantity: number | undefined) => {
      if (!quantity) return;
      const price = prices[name];
      out.push({ component, service, detail, charge: name, quantity, unit: price.unit, usd: priceOf(price, quantity) });
    };
    const gb = (kb: number | undefined) => (kb ? (kb * KB) / BYTES_PER_GB : 0);
    switch (service) {
      case 'dynamodb':
        charge('dynamodbWriteRequestUnit', c.writeUnits);
        charge('dynamodbReadRequestUnit', c.readUnits);
        break;
      case 'dynamodb-streams':
        // Lambda triggers (the emitter's event source mapping) read the stream free of charge.
        if (c.getRecords) {
          out.push({
            component,
            service,
            detail,
            charge: 'free',
            quantity: c.getRecords,
            unit: 'GetRecords by a Lambda trigger (free)',
            usd: 0,
          });
        }
        break;
      case 'kinesis':
        if (mode === 'on-demand') {
          charge('kinesisOnDemandIngestGb', gb(c.ingestKb));
          charge('kinesisOnDemandRetrievalGb', gb(c.retrievalKb));
        } else charge('kinesisPutPayloadUnit', c.putPayloadUnits);
        break;
      case 'lambda':
        if (!scheduled.has(component)) charge('lambdaRequest', c.invocations);
        charge('lambdaArmGbSecond', c.gbSeconds);
        break;
      case 'firehose':
        charge('firehoseIngestGb', gb(c.billedKb));
        if (partitioned.has(detail)) charge('firehoseDynamicPartitioningGb', (c.bytes ?? 0) / BYTES_PER_GB);
        break;
      case 'sqs':
        charge('sqsRequest', c.requests);
        break;
      case 'sns':
        charge('snsPublish', c.requests);
        break;
      case 'eventbridge':
        charge('eventBridgeEvent', c.events);
        break;
      case 's3':
        charge('s3Put', (c.put ?? 0) + (c.list ?? 0));
        charge('s3Get', c.get);
        break;
    }
  }
  return out;
}

/** DynamoDB figures of one component and item kind, per 1,000 events (and $ per million events). */
export interface DynamoDbPart {
  readonly writeUnitsPer1k: number;
  readonly readUnitsPer1k: number;
  readonly requestsPer1k: number;
  /** Writes refused by their condition (their units are in `writeUnitsPer1k`): whose writes lost a race. */
  readonly conditionalFailuresPer1k: number;
  readonly usdPerMillionEvents: number;
}

/** Totals of a bill for a number of events. */
export interface BillSummary {
  readonly events: number;
  readonly usd: number;
  readonly usdPerMillionEvents: number;
  /** USD per million events, by service and by component. */
  readonly byService: Record<string, number>;
  readonly byComponent: Record<string, number>;
  /** DynamoDB units per 1,000 events: in all, and by component and detail (table and item kind). */
  readonly dynamodb: {
    readonly writeUnitsPer1k: number;
    readonly readUnitsPer1k: number;
    readonly conditionalFailuresPer1k: number;
    readonly missingReadsPer1k: number;
    readonly byPart: Record<string, DynamoDbPart>;
  };
}

/** Round to `digits` significant decimals (for reports). */
export const round = (x: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Sum a bill over `events` events. */
export function summarizeBill(lines: readonly MeterLine[], events: number, options: BillOptions = {}): BillSummary {
  const prices = options.prices ?? PRICES;
  const charges = billLines(lines, options);
  const perMillion = (usd: number) => (events > 0 ? (usd * 1e6) / events : 0);
  const per1k = (n: number) => (events > 0 ? (n * 1000) / events : 0);
  const byService: Record<string, number> = {};
  const byComponent: Record<string, number> = {};
  let usd = 0;
  for (const line of charges) {
    usd += line.usd;
    byService[line.service] = (byService[line.service] ?? 0) + perMillion(line.usd);
    byComponent[line.component] = (byComponent[line.component] ?? 0) + perMillion(line.usd);
  }
  let writes = 0;
  let reads = 0;
  let failures = 0;
  let missing = 0;
  const byPart: BillSummary['dynamodb']['byPart'] = {};
  for (const { component, service, detail, counters } of lines) {
    if (service !== 'dynamodb') continue;
    writes += counters.writeUnits ?? 0;
    reads += counters.readUnits ?? 0;
    failures += counters.conditionalFailures ?? 0;
    missing += counters.missingReads ?? 0;
    const part = `${component}: ${detail}`;
    const known = byPart[part] ?? {
      writeUnitsPer1k: 0,
      readUnitsPer1k: 0,
      requestsPer1k: 0,
      conditionalFailuresPer1k: 0,
      usdPerMillionEvents: 0,
    };
    byPart[part] = {
      writeUnitsPer1k: known.writeUnitsPer1k + per1k(counters.writeUnits ?? 0),
      readUnitsPer1k: known.readUnitsPer1k + per1k(counters.readUnits ?? 0),
      requestsPer1k: known.requestsPer1k + per1k(counters.requests ?? 0),
      conditionalFailuresPer1k: known.conditionalFailuresPer1k + per1k(counters.conditionalFailures ?? 0),
      usdPerMillionEvents:
        known.usdPerMillionEvents +
        perMillion(
          priceOf(prices.dynamodbWriteRequestUnit, counters.writeUnits ?? 0) +
            priceOf(prices.dynamodbReadRequestUnit, counters.readUnits ?? 0),
        ),
    };
  }
  return {
    events,
    usd,
    usdPerMillionEvents: perMillion(usd),
    byService,
    byComponent,
    dynamodb: {
      writeUnitsPer1k: per1k(writes),
      readUnitsPer1k: per1k(reads),
      conditionalFailuresPer1k: per1k(failures),
      missingReadsPer1k: per1k(missing),
      byPart,
    },
  };
}

/** What a month costs beyond the per-event charges: the time-based ones, at a rate. */
export interface FixedMonthly {
  readonly usd: number;
  readonly items: Record<string, number>;
}

/** Options of {@link monthlyBill}. */
export interface MonthlyOptions extends BillOptions {
  /** Average bytes of a record put into Kinesis (provisioned shard count). */
  readonly recordBytes: number;
  /** Closer schedule, runs per hour. @default 60 */
  readonly closerRunsPerHour?: number;
  /** State stored in DynamoDB, bytes (storage and point-in-time recovery). @default 0 */
  readonly storedBytes?: number;
}

/** Kinesis shards a provisioned stream needs for `rate` records/s of `recordBytes` (1 MB/s and 1,000 records/s each). */
export function provisionedShards(rate: number, recordBytes: number): number {
  return Math.max(1, Math.ceil((rate * recordBytes) / (1024 * 1024)), Math.ceil(rate / 1000));
}

/**
 * A month (730 hours) at `rate` events per second: the per-event charges of `summary` times the month's events, plus
 * the time-based charges: the Kinesis stream-hours (on-demand) or shard-hours (provisioned), the closer's scheduled
 * invocations (EventBridge Scheduler and the Lambda requests), and DynamoDB storage with point-in-time recovery.
 */
export function monthlyBill(
  summary: Pick<BillSummary, 'usdPerMillionEvents'>,
  rate: number,
  options: MonthlyOptions,
): { usd: number; perEventUsd: number; fixed: FixedMonthly } {
  const prices = options.prices ?? PRICES;
  const events = rate * 3600 * HOURS_PER_MONTH;
  const perEventUsd = (summary.usdPerMillionEvents * events) / 1e6;
  const items: Record<string, number> = {};
  if ((options.kinesisMode ?? 'on-demand') === 'on-demand') {
    items['kinesis stream-hours (on-demand)'] = priceOf(prices.kinesisOnDemandStreamHour, HOURS_PER_MONTH);
  } else {
    const shards = provisionedShards(rate, options.recordBytes);
    items[`kinesis shard-hours (${shards} shards)`] = priceOf(prices.kinesisShardHour, shards * HOURS_PER_MONTH);
  }
  const runs = (options.closerRunsPerHour ?? 60) * HOURS_PER_MONTH;
  items['closer schedule (EventBridge Scheduler + Lambda requests)'] =
    priceOf(prices.eventBridgeSchedulerInvocation, runs) + priceOf(prices.lambdaRequest, runs);
  const storedGb = (options.storedBytes ?? 0) / BYTES_PER_GB;
  if (storedGb > 0) {
    items['DynamoDB storage + PITR (the run’s tables)'] =
      priceOf(prices.dynamodbStorage, storedGb) + priceOf(prices.dynamodbPitr, storedGb);
  }
  const fixed = Object.values(items).reduce((a, b) => a + b, 0);
  return { usd: perEventUsd + fixed, perEventUsd, fixed: { usd: fixed, items } };
}
