import { statSync } from 'node:fs';
import type { RecordData } from '../../core';
import { jsonLines } from '../../local/files/json-lines';
import { InputFileError } from './errors';

/** The lines of a file: each line's bytes, or its size alone when it is over the record limit. */
export type LineSource = Iterable<RecordData>;

/** Options of {@link fileLines}. */
export interface FileLinesOptions {
  /** Bytes read at a time. @default 65536 */
  readonly chunkBytes?: number;
}

/**
 * The lines of a JSON-lines file as {@link jsonLines} reads them (each line's bytes exactly as in the file), for
 * `replay()`: it decides on them through the processor's own decode path (`decodeRecord`: strict UTF-8, one leading
 * byte order mark dropped, a trailing `\r` is JSON whitespace, an over-limit line `too-large`). This reader decides
 * nothing.
 *
 * @throws {@link InputFileError} when the file is missing or not a regular file (checked when called).
 */
export function fileLines(path: string, options: FileLinesOptions = {}): LineSource {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    throw new InputFileError(path, `input file not found: ${path} (--input)`, { cause: error });
  }
  if (!isFile) throw new InputFileError(path, `input path is not a file: ${path} (--input)`);
  return { [Symbol.iterator]: () => jsonLines(path, options.chunkBytes) };
}
