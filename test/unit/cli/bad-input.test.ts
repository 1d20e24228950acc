import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayToFiles } from '../../../bin/cli/replay-files';
import { decodeBase64Record, decodeText, type Pipeline, type ReplayOutput, replay } from '../../../core';
import { clickstream } from '../../../pipelines/clickstream';
import {
  type BadInputCase,
  badInputCases,
  type CorpusPipeline,
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
const codeOf = (reason: string) => reason.slice(0, reason.indexOf(':'));

/** Valid lines with every bad line case of the pipeline interleaved; the 1-based line numbers of the bad ones. */
function mixed(pipeline: CorpusPipeline, bad: readonly BadInputCase[]) {
  const valid = validLines(pipeline, bad.length + 10);
  const lines: Buffer[] = [];
  const expected: { line: number; code: string; name: string }[] = [];
  valid.forEach((text, i) => {
    lines.push(Buffer.from(text));
    const c = bad[i];
    if (c) {
      lines.push(c.line!);
      expected.push({ line: lines.length, code: c.expect, name: c.name });
    }
  });
  return { valid, lines, expected };
}

const withoutLines = (out: ReplayOutput) => ({
  results: out.results,
  late: out.late,
  alerts: out.alerts.map(({ line: _line, index: _index, ...a }) => a),
});

describe('bad-input corpus', () => {
  it('holds at least 40 cases covering every reason code, with unique names and single-line records', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.expect))).toEqual(new Set(REASON_CODES));
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases.filter((x) => x.source === 'line')) expect(c.line!.includes(0x0a), c.name).toBe(false);
  });

  it.each(cases.map((c) => [c.name, c] as const))('rejects %s with its reason code, alone', (_name, c) => {
    const pipeline = PIPELINES[c.pipeline];
    // Bytes as Kinesis data (base64): the exact bytes, invalid UTF-8 included.
    const data = c.source === 'line' ? c.line!.toString('base64') : c.data;
    const viaBase64 = decodeBase64Record(pipeline, data, c.arrivalTime);
    expect(viaBase64.ok).toBe(false);
    if (!viaBase64.ok) expect(codeOf(viaBase64.reason)).toBe(c.expect);
    if (c.source === 'line' && isUtf8(c.line!) && !c.bytesOnly) {
      const viaText = decodeText(pipeline, c.line!.toString('utf8'), c.arrivalTime);
      expect(viaText.ok ? 'accepted' : codeOf(viaText.reason)).toBe(c.expect);
    }
  });

  for (const name of ['clickstream', 'loose'] as const) {
    const lineCases = cases.filter((c) => c.source === 'line' && c.pipeline === name);

    it(`replay() (${name}): each text line mixed with valid events is rejected with its line and reason; the valid ones are applied`, () => {
      const textCases = lineCases.filter((c) => isUtf8(c.line!) && !c.bytesOnly);
      const { valid, lines, expected } = mixed(name, textCases);
      let out: ReplayOutput | undefined;
      expect(() => {
        out = replay(
          PIPELINES[name],
          lines.map((l) => l.toString('utf8')),
        );
      }).not.toThrow();
      expect(out!.rejected.map((r) => ({ line: r.line, code: codeOf(r.reason) }))).toEqual(
        expected.map(({ line, code }) => ({ line, code })),
      );
      expect(out!.summary.applied).toBe(valid.length);
      expect(withoutLines(out!)).toEqual(withoutLines(replay(PIPELINES[name], valid)));
    });

    it(`replay CLI path (${name}): the same through a file, invalid UTF-8 and oversized lines included`, () => {
      const { valid, lines, expected } = mixed(name, lineCases);
      const input = join(tmp, `${name}.jsonl`);
      writeFileSync(input, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
      const out = join(tmp, `${name}-out`);
      const summary = replayToFiles({ pipeline: PIPELINES[name], input, out });
      const rejected = readFileSync(join(out, 'rejected.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { line: number; reason: string });
      expect(rejected.map((r) => ({ line: r.line, code: codeOf(r.reason) }))).toEqual(
        expected.map(({ line, code }) => ({ line, code })),
      );
      expect(summary).toMatchObject({
        lines: lines.length,
        rejected: expected.length,
        applied: valid.length,
        lateEntries: 0,
      });
      const results = readFileSync(join(out, 'results.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const reference = replay(PIPELINES[name], valid).results.map((r) => ({
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
    const after = [Object.prototype, Array.prototype, Function.prototype].map((p) =>
      Object.getOwnPropertyNames(p).sort(),
    );
    expect(after).toEqual(prototypesBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });
});
