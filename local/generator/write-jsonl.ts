import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type GeneratorSummary, generate } from './generate';
import type { GeneratorOptions } from './options';

/** Write the generated lines to a JSON-lines file (one item a line, in delivery order) and return the summary. */
export async function writeJsonl(path: string, options: GeneratorOptions = {}): Promise<GeneratorSummary> {
  await mkdir(dirname(path), { recursive: true });
  const run = generate(options);
  const out = createWriteStream(path, 'utf8');
  for (const item of run) {
    if (!out.write(`${item.line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return run.summary;
}
