import { closeSync, openSync, readSync } from 'node:fs';
import { MAX_RECORD_BYTES, type OversizedRecord } from '../../core';

/** One line of a JSON-lines file: its bytes, or its size alone when it is over the record limit. */
export type FileLine = Buffer | OversizedRecord;

const NEWLINE = 0x0a;

/**
 * Read a JSON-lines file synchronously and lazily, one chunk at a time, and yield each line's bytes exactly as they
 * are in the file (without the `\n`; a `\r` before it, a byte order mark and invalid UTF-8 are kept): the bytes a
 * producer sends as one record and `replay()` decides on. A line longer than the record limit is not buffered (memory
 * stays bounded whatever the file) and is yielded as its size only. A final newline does not make an extra line.
 * Synchronous so it can feed `replay()`, which takes an `Iterable`. The file is opened on the first `next()`.
 */
export function* jsonLines(path: string, chunkBytes = 65_536): Generator<FileLine> {
  const fd = openSync(path, 'r');
  const chunk = Buffer.allocUnsafe(chunkBytes);
  let parts: Buffer[] = [];
  let lineBytes = 0;
  const finish = (): FileLine => {
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
}
