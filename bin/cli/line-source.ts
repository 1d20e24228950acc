import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { MAX_RECORD_BYTES } from '../../core';
import { InputFileError } from './errors';

/** Lines of a file, read lazily; lines that cannot be handed over as text are yielded as `''` and listed here. */
export interface LineSource extends Iterable<string> {
  /**
   * Line number (from 1) → rejection reason, for lines yielded as `''` because they are not valid UTF-8 or are longer
   * than the record limit. Filled while iterating.
   */
  readonly problems: Map<number, string>;
}

/** Options of {@link fileLines}. */
export interface FileLinesOptions {
  /**
   * Longest line kept, in bytes; a longer line is not buffered (memory stays bounded) and is reported as too-large.
   * @default MAX_RECORD_BYTES (the Kinesis record limit)
   */
  readonly maxLineBytes?: number;
  /** Bytes read at a time. @default 65536 */
  readonly chunkBytes?: number;
}

const NEWLINE = 0x0a;
const BOM = '\uFEFF';

/**
 * Read a JSON-lines file synchronously and lazily, one chunk at a time, so memory stays bounded by the longest line
 * (at most `maxLineBytes`) whatever the file size. Lines are decoded as strict UTF-8. A final newline does not make
 * an extra empty line; a UTF-8 byte order mark on the first line is dropped. Synchronous so it can feed `replay()`,
 * which takes an `Iterable<string>`.
 *
 * @throws {@link InputFileError} when the file is missing or not a regular file (checked when called).
 */
export function fileLines(path: string, options: FileLinesOptions = {}): LineSource {
  const maxLineBytes = options.maxLineBytes ?? MAX_RECORD_BYTES;
  const chunkBytes = options.chunkBytes ?? 65_536;
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    throw new InputFileError(path, `input file not found: ${path} (--input)`, { cause: error });
  }
  if (!isFile) throw new InputFileError(path, `input path is not a file: ${path} (--input)`);
  const problems = new Map<number, string>();
  return {
    problems,
    *[Symbol.iterator]() {
      const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      const fd = openSync(path, 'r');
      const chunk = Buffer.allocUnsafe(chunkBytes);
      let parts: Buffer[] = [];
      let lineBytes = 0;
      let lineNo = 0;
      const finish = (): string => {
        lineNo++;
        const size = lineBytes;
        const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        parts = [];
        lineBytes = 0;
        if (size > maxLineBytes) {
          problems.set(lineNo, `too-large: line of ${size} bytes exceeds ${maxLineBytes}`);
          return '';
        }
        try {
          const text = decoder.decode(bytes);
          return lineNo === 1 && text.startsWith(BOM) ? text.slice(1) : text;
        } catch {
          problems.set(lineNo, 'invalid-utf8: line is not valid UTF-8');
          return '';
        }
      };
      const append = (bytes: Buffer): void => {
        lineBytes += bytes.length;
        // Past the limit the line is counted, not kept: a huge line must not exhaust memory.
        if (lineBytes <= maxLineBytes) parts.push(Buffer.from(bytes));
        else parts = [];
      };
      try {
        for (;;) {
          const n = readSync(fd, chunk, 0, chunkBytes, null);
          if (n === 0) break;
          const view = chunk.subarray(0, n);
          let from = 0;
          for (let at = view.indexOf(NEWLINE, from); at >= 0; at = view.indexOf(NEWLINE, from)) {
            append(view.subarray(from, at));
            yield finish();
            from = at + 1;
          }
          if (from < n) append(view.subarray(from));
        }
        if (lineBytes > 0) yield finish();
      } finally {
        closeSync(fd);
      }
    },
  };
}
