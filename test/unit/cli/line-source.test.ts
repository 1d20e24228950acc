import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputFileError } from '../../../bin/cli/errors';
import { fileLines } from '../../../bin/cli/line-source';
import { decodeBase64Record, decodeRecord, MAX_RECORD_BYTES, type RecordData } from '../../../core';
import { clickstream } from '../../../pipelines/clickstream';

const tmp = mkdtempSync(join(tmpdir(), 'streamfold-lines-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = (content: string | Buffer) => {
  const path = join(tmp, `f${n++}.jsonl`);
  writeFileSync(path, content);
  return path;
};
/** Lines as text (bytes decoded leniently, for comparison) or as the oversized marker. */
const read = (path: string, chunkBytes?: number) =>
  [...fileLines(path, chunkBytes === undefined ? {} : { chunkBytes })].map((l: RecordData) =>
    l instanceof Uint8Array ? Buffer.from(l).toString('utf8') : l,
  );

describe('fileLines', () => {
  it('splits on newlines across tiny chunks, keeping multi-byte characters whole and every byte as it is', () => {
    const text = '{"a":"héllo→✓"}\n\n{"b":"𝄞 clef"}\r\nlast';
    for (const chunkBytes of [1, 2, 3, 7, 65_536]) {
      expect(read(file(text), chunkBytes)).toEqual(['{"a":"héllo→✓"}', '', '{"b":"𝄞 clef"}\r', 'last']);
    }
  });

  it('adds no empty line for a final newline, yields nothing for an empty file, and keeps byte order marks', () => {
    expect(read(file('a\nb\n'))).toEqual(['a', 'b']);
    expect(read(file(''))).toEqual([]);
    // The decoder drops one leading BOM of every record, on line 1 as on line 2 (a producer's record may carry one).
    expect(read(file('\uFEFF{"x":1}\n\uFEFFkept'))).toEqual(['\uFEFF{"x":1}', '\uFEFFkept']);
  });

  it('hands over invalid UTF-8 as bytes, for the decoder to reject exactly as the processor does', () => {
    const bad = Buffer.concat([Buffer.from('ok\n'), Buffer.from([0x7b, 0xff, 0x7d, 0x0a]), Buffer.from('fine')]);
    const lines = [...fileLines(file(bad), { chunkBytes: 4 })];
    expect(lines).toHaveLength(3);
    expect(Buffer.from(lines[1] as Uint8Array)).toEqual(Buffer.from([0x7b, 0xff, 0x7d]));
    const viaFile = decodeRecord(clickstream, lines[1]!);
    expect(viaFile).toEqual(decodeBase64Record(clickstream, Buffer.from([0x7b, 0xff, 0x7d]).toString('base64')));
    expect(!viaFile.ok && viaFile.reason).toMatch(/^invalid-utf8: /);
  });

  it('yields a line over the record limit as its size only, and goes on', () => {
    const big = `{"page":"${'p'.repeat(1_100_000)}"}`;
    const lines = [...fileLines(file(`{"a":1}\n${big}\n{"b":2}\n`))];
    expect(lines[1]).toEqual({ oversizedBytes: 1_100_011 });
    expect(Buffer.from(lines[2] as Uint8Array).toString()).toBe('{"b":2}');
    const d = decodeRecord(clickstream, lines[1]!);
    expect(!d.ok && d.reason).toBe(`too-large: record of 1100011 bytes exceeds ${MAX_RECORD_BYTES}`);
  });

  it('keeps a line of exactly the record limit as bytes', () => {
    const exact = 'x'.repeat(MAX_RECORD_BYTES);
    const lines = [...fileLines(file(`${exact}\n${exact}y\n`))];
    expect((lines[0] as Uint8Array).length).toBe(MAX_RECORD_BYTES);
    expect(lines[1]).toEqual({ oversizedBytes: MAX_RECORD_BYTES + 1 });
  });

  it('throws InputFileError naming the file when it is missing or a folder', () => {
    expect(() => fileLines(join(tmp, 'missing.jsonl'))).toThrow(InputFileError);
    expect(() => fileLines(join(tmp, 'missing.jsonl'))).toThrow(/input file not found: .*missing\.jsonl/);
    expect(() => fileLines(tmp)).toThrow(/input path is not a file/);
  });
});
