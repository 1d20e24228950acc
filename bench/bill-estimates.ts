/**
 * The estimated baselines of the cost bench: designs this machine cannot run, priced from the same run's measured
 * lines and the dated price table (local/cost/prices.ts), each with its formula and what it cannot do.
 *
 * - Lambda's native tumbling windows (Kinesis event source mapping `TumblingWindowInSeconds`): the processor's
 *   Kinesis and Lambda lines as measured here, plus one extra invocation per shard per window (the final one, with
 *   `isFinalInvokeForWindow`), and the sinks' lines; no DynamoDB, no emitter, no closer. It keeps state between
 *   invocations of one shard (at most 1 MB), in arrival time only, at least once: it has no event time, grace, hopping
 *   windows, sessions or dedupe, so it computes only the reference pipeline's 1-minute tumbling counts, and a retried
 *   batch counts twice.
 * - Amazon Managed Service for Apache Flink: KPUs for the throughput (a stated per-KPU rate, an assumption: AWS
 *   publishes no throughput per KPU), plus the orchestration KPU, plus running storage (50 GB per KPU), plus the
 *   same Kinesis stream and result delivery as streamfold's. Exactly-once state in Flink's checkpoints.
 */
import {
  type BillSummary,
  HOURS_PER_MONTH,
  type MeterLine,
  monthlyBill,
  PRICES,
  priceOf,
  summarizeBill,
} from '../local/cost/index';

/** The components a native tumbling-window design keeps: the processor and the sinks it writes its results to. */
const NATIVE_SERVICES = new Set(['kinesis', 'lambda', 'firehose', 'sns', 'eventbridge', 'sqs']);

/** Inputs of {@link nativeTumblingEstimate}. */
export interface NativeTumblingInput {
  /** The metered lines of streamfold's run. */
  readonly lines: readonly MeterLine[];
  /** Events those lines are for. */
  readonly events: number;
  /** The window, seconds (Lambda accepts 1 to 900). */
  readonly windowSeconds: number;
  /** The processor's memory, MB, and the mean billed ms of one final invocation (no records: the state only). */
  readonly memoryMb: number;
  readonly finalInvocationMs: number;
}

/** A bill estimate: $ per million events, $ per month at two rates, and the formula. */
export interface Estimate {
  readonly usdPerMillionEvents: number;
  readonly usdPerMonth: { readonly at2000PerSecond: number; readonly at50000PerSecond: number };
  readonly formula: string;
  readonly cannot: string;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Lambda's native tumbling windows at the same batches: keep the processor's Kinesis and Lambda lines and every
 * component's sink lines (results and alerts are still delivered), drop DynamoDB and the emitter's and closer's
 * Lambda time; add per month one final invocation per shard per window.
 */
export function nativeTumblingEstimate(input: NativeTumblingInput, shardsAt: (rate: number) => number): Estimate {
  const kept = input.lines.filter(
    (l) => NATIVE_SERVICES.has(l.service) && (l.service !== 'lambda' || l.component === 'processor'),
  );
  const summary: BillSummary = summarizeBill(kept, input.events);
  const finalInvocationsPerShardHour = 3600 / input.windowSeconds;
  const month = (rate: number) => {
    const base = monthlyBill(summary, rate, { recordBytes: 0, closerRunsPerHour: 0 });
    const finals = shardsAt(rate) * finalInvocationsPerShardHour * HOURS_PER_MONTH;
    const gbSeconds = (finals * Math.max(1, Math.ceil(input.finalInvocationMs)) * input.memoryMb) / 1024 / 1000;
    const usd = base.usd + priceOf(PRICES.lambdaRequest, finals) + priceOf(PRICES.lambdaArmGbSecond, gbSeconds);
    return round(usd, 2);
  };
  return {
    usdPerMillionEvents: round(summary.usdPerMillionEvents, 4),
    usdPerMonth: { at2000PerSecond: month(2000), at50000PerSecond: month(50_000) },
    formula:
      "per event: streamfold's measured processor Kinesis + Lambda lines and its sinks' lines (DynamoDB, emitter " +
      'and closer removed); per month: the stream-hours plus one final invocation per shard per window ' +
      `(${input.windowSeconds} s) at ${input.memoryMb} MB and ${input.finalInvocationMs} ms`,
    cannot:
      'arrival time only (no event time, grace or late data), tumbling only (no hopping windows or sessions: only the ' +
      "reference pipeline's 1-minute counts), at least once (a retried batch is counted twice), no dedupe, state at " +
      'most 1 MB per shard',
  };
}

/** Inputs of {@link managedFlinkEstimate}. */
export interface ManagedFlinkInput {
  /** The metered lines of streamfold's run (the Kinesis stream and the sinks are the same in both designs). */
  readonly lines: readonly MeterLine[];
  readonly events: number;
  /** Events per second one KPU sustains for this pipeline: an assumption, stated in the output. */
  readonly eventsPerSecondPerKpu: number;
}

/** Running application storage, $ per GB-month (Managed Service for Apache Flink pricing, us-east-1). */
const FLINK_RUNNING_STORAGE_USD_PER_GB_MONTH = 0.1;
/** Running application storage that comes with each KPU, GB. */
const FLINK_STORAGE_GB_PER_KPU = 50;

/**
 * Managed Flink at `rate` events/s: ceil(rate / perKpu) KPUs plus one orchestration KPU, each 730 hours at the
 * KPU-hour price plus 50 GB of running storage; plus the Kinesis stream and the sinks as streamfold's run measured
 * them (a Flink job reads the same stream and writes the same results).
 */
export function managedFlinkEstimate(input: ManagedFlinkInput): Estimate & { readonly kpus: Record<string, number> } {
  const kept = input.lines.filter((l) => ['kinesis', 'firehose', 'sns', 'eventbridge', 'sqs'].includes(l.service));
  const summary = summarizeBill(kept, input.events);
  const kpusAt = (rate: number) => Math.ceil(rate / input.eventsPerSecondPerKpu) + 1;
  const month = (rate: number) => {
    const base = monthlyBill(summary, rate, { recordBytes: 0, closerRunsPerHour: 0 });
    const kpus = kpusAt(rate);
    const compute = priceOf(PRICES.flinkKpuHour, kpus * HOURS_PER_MONTH);
    const storage = kpus * FLINK_STORAGE_GB_PER_KPU * FLINK_RUNNING_STORAGE_USD_PER_GB_MONTH;
    return round(base.usd + compute + storage, 2);
  };
  const perMillionAt2000 = (month(2000) / (2000 * 3600 * HOURS_PER_MONTH)) * 1e6;
  return {
    usdPerMillionEvents: round(perMillionAt2000, 4),
    usdPerMonth: { at2000PerSecond: month(2000), at50000PerSecond: month(50_000) },
    kpus: { at2000PerSecond: kpusAt(2000), at50000PerSecond: kpusAt(50_000) },
    formula:
      `KPUs = ceil(rate / ${input.eventsPerSecondPerKpu} events/s per KPU) + 1 orchestration KPU; month = KPUs × 730 h × ` +
      `$${PRICES.flinkKpuHour.usd}/KPU-hour + KPUs × ${FLINK_STORAGE_GB_PER_KPU} GB × $${FLINK_RUNNING_STORAGE_USD_PER_GB_MONTH}/GB-month ` +
      `(${PRICES.flinkKpuHour.source}) + the same Kinesis stream and sinks as streamfold's run; $ per million events ` +
      'is the month at 2,000 events/s divided by its events',
    cannot:
      `the per-KPU rate (${input.eventsPerSecondPerKpu} events/s of ~1 KB JSON with keyed windows) is an assumption, ` +
      'not a measurement: AWS publishes none; a KPU is 1 vCPU and 4 GB; the bill is per hour whether events flow or not',
  };
}
