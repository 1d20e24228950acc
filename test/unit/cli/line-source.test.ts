import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputFileError } from '../../../bin/cli/errors';
import { fileLines } from '../../../bin/cli/line-source';

const tmp = mkdtempSync(join(tmpdir(), 'streamfold-lines-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = (content: string | Buffer) => {
  const path = join(tmp, `f${n++}.jsonl`);
  writeFileSync(path, content);
  return path;
};

describe('fileLines', () => {
  it('splits on newlines across tiny chunks, keeping multi-byte characters whole', () => {
    const text = '{"a":"héllo→✓"}\n\n{"b":"𝄞 clef"}\r\nlast';
    for (const chunkBytes of [1, 2, 3, 7, 65_536]) {
      expect([...fileLines(file(text), { chunkBytes })]).toEqual(['{"a":"héllo→✓"}', '', '{"b":"𝄞 clef"}\r', 'last']);
    }
  });

  it('adds no empty line for a final newline, yields nothing for an empty file, and drops a leading BOM', () => {
    expect([...fileLines(file('a\nb\n'))]).toEqual(['a', 'b']);
    expect([...fileLines(file(''))]).toEqual([]);
    expect([...fileLines(file('\uFEFF{"x":1}\n\uFEFFkept'))]).toEqual(['{"x":1}', '\uFEFFkept']);
  });

  it('yields "" for invalid UTF-8 and over-long lines and records why, by line number', () => {
    const bad = Buffer.concat([
      Buffer.from('ok\n'),
      Buffer.from([0x7b, 0xff, 0x7d, 0x0a]),
      Buffer.from(`${'x'.repeat(25)}\n`),
      Buffer.from('fine'),
    ]);
    const lines = fileLines(file(bad), { maxLineBytes: 10, chunkBytes: 4 });
    expect([...lines]).toEqual(['ok', '', '', 'fine']);
    expect([...lines.problems]).toEqual([
      [2, 'invalid-utf8: line is not valid UTF-8'],
      [3, 'too-large: line of 25 bytes exceeds 10'],
    ]);
  });

  it('reads a line of more than 1 MB as one too-large line and goes on', () => {
    const big = `{"page":"${'p'.repeat(1_100_000)}"}`;
    const lines = fileLines(file(`{"a":1}\n${big}\n{"b":2}\n`));
    expect([...lines]).toEqual(['{"a":1}', '', '{"b":2}']);
    expect(lines.problems.get(2)).toMatch(/^too-large: line of 1100011 bytes exceeds 1048576$/);
  });

  it('throws InputFileError naming the file when it is missing or a folder', () => {
    expect(() => fileLines(join(tmp, 'missing.jsonl'))).toThrow(InputFileError);
    expect(() => fileLines(join(tmp, 'missing.jsonl'))).toThrow(/input file not found: .*missing\.jsonl/);
    expect(() => fileLines(tmp)).toThrow(/input path is not a file/);
  });
});
