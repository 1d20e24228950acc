import { type BillOptions, type BillSummary, round, summarizeBill } from './bill';
import type { MeterLine } from './meter';
import { PRICES_AS_OF, PRICES_REGION } from './prices';

/** What a local run would have cost on AWS: the summary of its metered usage. */
export interface RunBill extends BillSummary {
  /** USD of the run's usage (per-event charges only: no stream-hours, no storage). */
  readonly usd: number;
  /** The prices' date and region. */
  readonly prices: { readonly asOf: string; readonly region: string };
}

/** The bill of a run's metered usage over the records it processed. */
export function runBill(lines: readonly MeterLine[], events: number, options: BillOptions = {}): RunBill {
  return { ...summarizeBill(lines, events, options), prices: { asOf: PRICES_AS_OF, region: PRICES_REGION } };
}

const usd = (x: number) => (x >= 0.01 ? `$${x.toFixed(2)}` : `$${x.toPrecision(2)}`);

/**
 * The run's bill as lines for a summary: "this run on AWS would cost ...", the price per million events, DynamoDB
 * units per 1,000 events, and the services that make up the bill.
 */
export function describeRunBill(bill: RunBill): string[] {
  if (bill.events === 0) return ['this run on AWS would cost $0 (no events processed)'];
  const services = Object.entries(bill.byService)
    .filter(([, perMillion]) => perMillion > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([service, perMillion]) => `${service} ${usd(perMillion)}`)
    .join(', ');
  return [
    `this run on AWS would cost ${usd(bill.usd)} for ${bill.events.toLocaleString('en-US')} events: ` +
      `${usd(bill.usdPerMillionEvents)} per million events (${bill.prices.region} list prices of ${bill.prices.asOf}, ` +
      'per-request charges only: no stream-hours, no storage)',
    `  DynamoDB per 1,000 events: ${round(bill.dynamodb.writeUnitsPer1k, 1)} write units, ` +
      `${round(bill.dynamodb.readUnitsPer1k, 1)} read units (as AWS bills them)`,
    `  per million events: ${services}`,
  ];
}
