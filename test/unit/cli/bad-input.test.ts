import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayToFiles } from '../../../bin/cli/replay-files';
import {
  type Decoded,
  decodeBase64Record,
  decodeRecord,
  decodeText,
  type Pipeline,
  type ReplayOutput,
  replay,
} from '../../../core';
import { clickstream } from '../../../pipelines/clickstream';
import {
  type BadInputCase,
  badInputCases,
  CORPUS_ARRIVAL,
  type CorpusPipeline,
  caseBytes,
  codeOf,
  REASON_CODES,
  validLines,
} from '../../fixtures/bad-input';
import { loose } from '../../fixtures/pipelines/loose';

const PIPELINES: Record<CorpusPipeline, Pipeline> = { clickstream, loose };
const cases = badInputCases();
const prototypesBefore = [Object.prototype, Array.prototype, Function.prototype].map((p) =>
  Object.getOwnPropertyNames(p).sort(),
);
const tmp = mkdtempSync(join(tmpdir(), 'streamfold-bad-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const isUtf8 = (bytes: Buffer) => Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
const outcome = (d: Decoded) => (d.ok ? 'applied' : codeOf(d.reason));

/** Valid lines with every line case of the pipeline interleaved; the 1-based line numbers of the cases. */
function mixed(pipeline: CorpusPipeline, corpus: readonly BadInputCase[]) {
  const valid = validLines(pipeline, corpus.length + 10);
  const lines: Buffer[] = [];
  const arrivals: number[] = [];
  const placed: { line: number; c: BadInputCase }[] = [];
  valid.forEach((text, i) => {
    lines.push(Buffer.from(text));
    arrivals.push(CORPUS_ARRIVAL);
    const c = corpus[i];
    if (c) {
      lines.push(c.line!);
      arrivals.push(c.arrivalTime ?? CORPUS_ARRIVAL);
      placed.push({ line: lines.length, c });
    }
  });
  const rejected = placed.filter((p) => p.c.expect !== 'applied').map((p) => ({ line: p.line, code: p.c.expect }));
  const appliedLines = lines.filter((_, i) => !rejected.some((r) => r.line === i + 1));
  return { valid, lines, arrivals, rejected, appliedLines };
}

const withoutLines = (out: ReplayOutput) => ({
  results: out.results,
  late: out.late,
  alerts: out.alerts.map(({ line: _line, index: _index, ...a }) => a),
});

describe('hostile corpus (decode and replay)', () => {
  it('holds at least 100 cases covering every reason code and applied ones, with unique names and single lines', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(new Set(cases.map((c) => c.expect))).toEqual(new Set([...REASON_CODES, 'applied']));
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases.filter((x) => x.source === 'line')) expect(c.line!.includes(0x0a), c.name).toBe(false);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: ends as expected on every decode path', (_name, c) => {
    const pipeline = PIPELINES[c.pipeline];
    const arrival = c.arrivalTime ?? CORPUS_ARRIVAL;
    const data = c.source === 'line' ? c.line!.toString('base64') : c.data;
    expect(outcome(decodeBase64Record(pipeline, data, arrival))).toBe(c.expect);
    const bytes = caseBytes(c);
    if (bytes === undefined) return;
    expect(outcome(decodeRecord(pipeline, bytes, arrival))).toBe(c.expect);
    if (isUtf8(bytes)) expect(outcome(decodeText(pipeline, bytes.toString('utf8'), arrival))).toBe(c.expect);
  });

  for (const name of ['clickstream', 'loose'] as const) {
    const lineCases = cases.filter((c) => c.source === 'line' && c.pipeline === name);

    it(`replay() (${name}): each case mixed with valid events ends as expected, with arrival times or a bound`, () => {
      const { lines, arrivals, rejected, appliedLines } = mixed(name, lineCases);
      // With each record's arrival time (the processor's rule exactly), and with only a bound on all arrivals.
      for (const options of [
        { arrivalTime: (_v: unknown, line: number) => arrivals[line - 1] },
        { arrivedBy: CORPUS_ARRIVAL },
      ]) {
        let out: ReplayOutput | undefined;
        expect(() => {
          out = replay(PIPELINES[name], lines, options);
        }).not.toThrow();
        expect(out!.rejected.map((r) => ({ line: r.line, code: codeOf(r.reason) }))).toEqual(rejected);
        expect(out!.summary.applied).toBe(appliedLines.length);
        expect(withoutLines(out!)).toEqual(withoutLines(replay(PIPELINES[name], appliedLines)));
      }
    });

    it(`replay CLI path (${name}): the same through a file`, () => {
      const { lines, rejected, appliedLines } = mixed(name, lineCases);
      const input = join(tmp, `${name}.jsonl`);
      writeFileSync(input, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
      const out = join(tmp, `${name}-out`);
      const summary = replayToFiles({ pipeline: PIPELINES[name], input, out, arrivedBy: CORPUS_ARRIVAL });
      const written = readFileSync(join(out, 'rejected.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { line: number; reason: string });
      expect(written.map((r) => ({ line: r.line, code: codeOf(r.reason) }))).toEqual(rejected);
      expect(summary).toMatchObject({
        lines: lines.length,
        rejected: rejected.length,
        applied: appliedLines.length,
        lateEntries: 0,
      });
      const results = readFileSync(join(out, 'results.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const reference = replay(PIPELINES[name], appliedLines).results.map((r) => ({
        ...r,
        start: new Date(r.start).toISOString(),
        end: new Date(r.end).toISOString(),
      }));
      expect(results).toEqual(reference);
    });
  }

  it('leaves Object.prototype, Array.prototype and Function.prototype untouched', () => {
    for (const c of cases) {
      decodeBase64Record(PIPELINES[c.pipeline], c.source === 'line' ? c.line!.toString('base64') : c.data);
    }
    for (const name of ['clickstream', 'loose'] as const) {
      replay(
        PIPELINES[name],
        cases.filter((c) => c.pipeline === name).flatMap((c) => caseBytes(c) ?? []),
      );
    }
    const after = [Object.prototype, Array.prototype, Function.prototype].map((p) =>
      Object.getOwnPropertyNames(p).sort(),
    );
    expect(after).toEqual(prototypesBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });
});
