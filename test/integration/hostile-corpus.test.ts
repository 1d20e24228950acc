// Issue 11, "What must show": the hostile corpus (test/fixtures/bad-input, every case mixed with valid events) through
// replay (in memory and through the CLI's file reading), the Kinesis handler and the MSK handler, on DynamoDB Local.
// Every record must take the same decision on every path (applied / rejected with the same reason code / duplicate /
// late), each case must end as its manifest says, no batch may fail and nothing may be retried because of a record.
// Replay is given each record's arrival time (the handlers' approximateArrivalTimestamp / MSK timestamp), so this
// covers the replay's exact case; `arrivedBy` (no arrival times) is covered by test/unit/cli/bad-input.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { fileLines } from '../../bin/cli/line-source';
import { type Pipeline, type ReplayOutput, replay } from '../../core';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import {
  type BadInputCase,
  badInputCases,
  CORPUS_ARRIVAL,
  type CorpusPipeline,
  caseBytes,
  codeOf,
  validLines,
} from '../fixtures/bad-input';
import { loose } from '../fixtures/pipelines/loose';
import { type HandlerKind, hostileProcessor, LATE_URL, REJECTED_URL, type TestRecord } from './hostile-helpers';
import { tableResults } from './processor-helpers';

const clients = makeClients(inject('engineEndpoints'));
const tmp = mkdtempSync(join(tmpdir(), 'streamfold-hostile-'));
afterAll(() => {
  clients.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

const PIPELINES: Record<CorpusPipeline, Pipeline> = { clickstream, loose };
const BATCH = 20;
const cases = badInputCases();
const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

/** One record of the mixed stream: a valid event or a corpus case, with its bytes when it has any. */
interface Mixed extends TestRecord {
  readonly bytes: Buffer | undefined;
  readonly c: BadInputCase | undefined;
}

/** Valid events with every case of the pipeline after one of them, in one shard. */
function mixedRecords(name: CorpusPipeline): Mixed[] {
  const corpus = cases.filter((c) => c.pipeline === name);
  const records: Mixed[] = [];
  validLines(name, corpus.length + 10).forEach((line, i) => {
    const bytes = Buffer.from(line);
    records.push({
      data: bytes.toString('base64'),
      partitionKey: `pk-${i}`,
      arrivalMs: CORPUS_ARRIVAL,
      bytes,
      c: undefined,
    });
    const c = corpus[i];
    if (!c) return;
    const data = c.source === 'line' ? c.line!.toString('base64') : (c.data ?? null);
    records.push({
      data,
      partitionKey: c.partitionKey ?? `pk-case-${i}`,
      arrivalMs: c.arrivalTime ?? CORPUS_ARRIVAL,
      bytes: caseBytes(c),
      c,
    });
  });
  return records;
}

/** What happened to each record, by index: 'applied' (or duplicate: see `duplicates`), or the rejection code. */
interface Decisions {
  readonly outcome: Map<number, string>;
  /** `index window start` of every late entry. */
  readonly late: string[];
  readonly duplicates: number;
}

function replayDecisions(out: ReplayOutput, indexOfLine: readonly number[], total: number): Decisions {
  const outcome = new Map<number, string>();
  for (let i = 0; i < total; i++) outcome.set(i, 'applied');
  for (const r of out.rejected) outcome.set(indexOfLine[r.line - 1]!, codeOf(r.reason));
  for (const d of out.duplicates) outcome.set(indexOfLine[d.line - 1]!, 'duplicate');
  return {
    outcome,
    late: out.late.map((l) => `${indexOfLine[l.line - 1]} ${l.window} ${l.start}`).sort(),
    duplicates: out.duplicates.length,
  };
}

/** Replay of the records that have bytes, with each record's arrival time; line → record index. */
function replayOf(pipeline: Pipeline, records: readonly Mixed[]) {
  const indexOfLine = records.flatMap((r, i) => (r.bytes ? [i] : []));
  const out = replay(
    pipeline,
    indexOfLine.map((i) => records[i]!.bytes!),
    { arrivalTime: (_value, line) => records[indexOfLine[line - 1]!]!.arrivalMs },
  );
  return { out, indexOfLine };
}

async function runHandler(kind: HandlerKind, name: CorpusPipeline, records: readonly Mixed[]) {
  const pipeline = PIPELINES[name];
  // The handler runs when the records arrive (its clock a minute after their arrival time), as Lambda does.
  const p = await hostileProcessor(clients.dynamodb, pipeline, kind, { now: () => CORPUS_ARRIVAL + 60_000 });
  const failures: unknown[] = [];
  for (let from = 0; from < records.length; from += BATCH) {
    failures.push(...(await p.invoke(records.slice(from, from + BATCH), from)));
  }
  const rejected = p.sqs.messages(REJECTED_URL);
  const late = p.sqs.messages(LATE_URL);
  const outcome = new Map<number, string>();
  for (let i = 0; i < records.length; i++) outcome.set(i, 'applied');
  for (const m of rejected) outcome.set(p.indexOf(m), codeOf(m.reason));
  const duplicates = p.summaries.reduce((n, s) => n + s.duplicates, 0);
  const results = await tableResults(clients.dynamodb, p.tables.stateTable, pipeline, p.wrapper.recorded.results);
  return {
    p,
    failures,
    rejected,
    results,
    decisions: {
      outcome,
      late: late.map((m) => `${p.indexOf(m)} ${m.window} ${m.start}`).sort(),
      duplicates,
    } satisfies Decisions,
  };
}

describe('the hostile corpus through replay, the Kinesis handler and the MSK handler', () => {
  it('holds at least 100 cases, each saying what it must end as', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(cases.filter((c) => c.expect === 'applied').length).toBeGreaterThanOrEqual(20);
  });

  for (const name of ['clickstream', 'loose'] as const) {
    const records = mixedRecords(name);
    const pipeline = PIPELINES[name];
    const { out, indexOfLine } = replayOf(pipeline, records);
    const fromReplay = replayDecisions(out, indexOfLine, records.length);
    // Records without bytes (null MSK values, data that is not base64) reach only the handlers.
    const withBytes = new Set(indexOfLine);

    it(`${name}: every case ends as its manifest says in replay, and its batch-mates are applied`, () => {
      records.forEach((r, i) => {
        if (!r.c || !withBytes.has(i)) return;
        expect(fromReplay.outcome.get(i), r.c.name).toBe(r.c.expect);
      });
      const lateLines = new Set(fromReplay.late.map((l) => Number(l.split(' ')[0])));
      for (let i = 0; i < records.length; i++) {
        if (records[i]!.c?.expect !== 'applied' && records[i]!.c) continue;
        expect(lateLines.has(i), `record ${i} late`).toBe(false);
        expect(fromReplay.outcome.get(i)).toBe('applied');
      }
      expect(fromReplay.duplicates).toBe(0);
    });

    it(`${name}: the replay CLI's file reading takes the same decision for the same bytes`, () => {
      // A file cannot hold a record whose bytes contain a newline: those (all rejected) are left out of it.
      const fileable = indexOfLine.filter((i) => !records[i]!.bytes!.includes(0x0a));
      for (const i of indexOfLine.filter((j) => !fileable.includes(j))) {
        expect(fromReplay.outcome.get(i)).not.toBe('applied');
      }
      const path = join(tmp, `${name}.jsonl`);
      writeFileSync(path, Buffer.concat(fileable.flatMap((i) => [records[i]!.bytes!, Buffer.from('\n')])));
      const viaFile = replay(pipeline, fileLines(path), {
        arrivalTime: (_value, line) => records[fileable[line - 1]!]!.arrivalMs,
      });
      const decisions = replayDecisions(viaFile, fileable, records.length);
      for (const i of fileable) expect(decisions.outcome.get(i), `record ${i}`).toBe(fromReplay.outcome.get(i));
      expect(decisions.late).toEqual(fromReplay.late);
      expect(viaFile.results).toEqual(out.results);
    });

    for (const kind of ['kinesis', 'msk'] as const) {
      it(`${name}: the ${kind} handler takes the same decision as replay for every record, no batch fails, nothing is retried`, async () => {
        const run = await runHandler(kind, name, records);
        expect(run.failures).toEqual([]);
        expect(run.p.invocations).toBe(Math.ceil(records.length / BATCH));
        expect(run.p.summaries.every((s) => s.failures.length === 0)).toBe(true);
        expect(run.p.summaries.reduce((n, s) => n + s.retries, 0)).toBe(0);
        // Every side-output message sent once, none refused by SQS, every body XML-safe.
        expect(run.p.sqs.senderFaults).toBe(0);
        const sent = [...run.p.sqs.queues.values()].flat();
        expect(run.p.sqs.entries).toBe(sent.length);
        expect(new Set(sent.map((m) => m.id)).size).toBe(sent.length);

        records.forEach((r, i) => {
          const got = run.decisions.outcome.get(i);
          if (withBytes.has(i)) expect(got, `${r.c?.name ?? 'valid'} (record ${i})`).toBe(fromReplay.outcome.get(i));
          else expect(got, r.c!.name).toBe(r.c!.expect);
        });
        for (const m of run.rejected) expect(m.reason).toMatch(/^[a-z0-9-]+: ./);
        expect(run.decisions.late).toEqual(fromReplay.late);
        expect(run.decisions.duplicates).toBe(fromReplay.duplicates);
        expect(run.results).toEqual(out.results);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });
    }
  }
});
