import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { MAX_RECORD_BYTES, type RecordData } from '../../core';
import { InputFileError } from './errors';

/** The lines of a file: each line's bytes, or its size alone when it is over the record limit. */
export type LineSource = Iterable<RecordData>;

/** Options of {@link fileLines}. */
export interface FileLinesOptions {
  /** Bytes read at a time. @default 65536 */
  readonly chunkBytes?: number;
}

const NEWLINE = 0x0a;

/**
 * Read a JSON-lines file synchronously and lazily, one chunk at a time, and yield each line's bytes exactly as they
 * are in the file (without the `\n`): the same bytes a producer would send as one record, so `replay()` decides on
 * them through the processor's own decode path (`decodeRecord`: strict UTF-8, one leading byte order mark dropped,
 * a trailing `\r` is JSON whitespace). This reader decides nothing. A line longer than the record limit is not
 * buffered (memory stays bounded by the limit whatever the file) and is yielded as its size only, which the decoder
 * rejects as `too-large` as it would the bytes. A final newline does not make an extra empty line. Synchronous so it
 * can feed `replay()`, which takes an `Iterable`.
 *
 * @throws {@link InputFileError} when the file is missing or not a regular file (checked when called).
 */
export function fileLines(path: string, options: FileLinesOptions = {}): LineSource {
  const chunkBytes = options.chunkBytes ?? 65_536;
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    throw new InputFileError(path, `input file not found: ${path} (--input)`, { cause: error });
  }
  if (!isFile) throw new InputFileError(path, `input path is not a file: ${path} (--input)`);
  return {
    *[Symbol.iterator]() {
      const fd = openSync(path, 'r');
      const chunk = Buffer.allocUnsafe(chunkBytes);
      let parts: Buffer[] = [];
      let lineBytes = 0;
      const finish = (): RecordData => {
        const size = lineBytes;
        const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        parts = [];
        lineBytes = 0;
        return size > MAX_RECORD_BYTES ? { oversizedBytes: size } : bytes;
      };
      const append = (bytes: Buffer): void => {
        lineBytes += bytes.length;
        // Past the limit the line is counted, not kept: a huge line must not exhaust memory.
        if (lineBytes <= MAX_RECORD_BYTES) parts.push(Buffer.from(bytes));
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
