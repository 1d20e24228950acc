/** The generated processor entry module, and the table layout the stack shares with lambdas/state/tables.ts. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_PARTITION,
  DEDUPE_ATTR,
  META_PARTITION,
  STATE_ATTR,
  STATE_SORT_KEY,
  TTL_ATTRIBUTE,
} from '../../lambdas/state/tables';
import {
  handlerEntrySource,
  PROJECT_ROOT,
  processorEntrySource,
  STATE_CHECKPOINT_PARTITION,
  STATE_META_PARTITION,
  STATE_RECORD_SORT_KEY,
  TABLE_ATTRIBUTES,
  writeHandlerEntry,
  writeProcessorEntry,
} from '../../lib';
import { CLICKSTREAM_PATH } from './stack-fixture';

describe('processor entry', () => {
  it('imports the handler factory and the named pipeline export, and exports handler', () => {
    const text = processorEntrySource('/abs/pipeline.ts', 'clickstream', 'kinesis');
    expect(text).toContain(
      `import { createKinesisHandler } from "${join(PROJECT_ROOT, 'lambdas/processor/kinesis-handler.ts')}";`,
    );
    expect(text).toContain('import { clickstream as pipeline } from "/abs/pipeline.ts";');
    expect(text).toContain('export const handler = createKinesisHandler(pipeline);');
  });

  it('uses the MSK factory for MSK and the default export when asked', () => {
    const text = processorEntrySource('/abs/pipeline.ts', 'default', 'msk');
    expect(text).toContain('createMskHandler');
    expect(text).toContain('import pipeline from "/abs/pipeline.ts";');
  });

  it('writes the file once per content, under a content-hashed name', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'streamfold-entry-'));
    const definition = { path: CLICKSTREAM_PATH, exportName: 'clickstream' };
    const a = writeProcessorEntry({ definition, source: 'kinesis', outDir });
    const b = writeProcessorEntry({ definition, source: 'kinesis', outDir });
    const c = writeProcessorEntry({ definition, source: 'msk', outDir });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(a).toMatch(/processor-kinesis-[0-9a-f]{12}\.ts$/);
    expect(readFileSync(a, 'utf8')).toBe(processorEntrySource(CLICKSTREAM_PATH, 'clickstream', 'kinesis'));
  });

  it('writes the emitter and closer entries the same way, each with its own factory', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'streamfold-entry-'));
    const definition = { path: CLICKSTREAM_PATH, exportName: 'clickstream' };
    const emitter = writeHandlerEntry(definition, 'emitter', outDir);
    const closer = writeHandlerEntry(definition, 'closer', outDir);
    expect(emitter).toMatch(/[/]emitter-[0-9a-f]{12}\.ts$/);
    expect(closer).toMatch(/[/]closer-[0-9a-f]{12}\.ts$/);
    expect(readFileSync(emitter, 'utf8')).toContain('export const handler = createEmitterHandler(pipeline);');
    expect(readFileSync(closer, 'utf8')).toBe(handlerEntrySource(CLICKSTREAM_PATH, 'clickstream', 'closer'));
  });
});

describe('table layout', () => {
  it('the stack’s key and TTL attributes are the ones the runtime uses', () => {
    expect(TABLE_ATTRIBUTES.pk).toBe(STATE_ATTR.pk);
    expect(TABLE_ATTRIBUTES.sk).toBe(STATE_ATTR.sk);
    expect(TABLE_ATTRIBUTES.pk).toBe(DEDUPE_ATTR.pk);
    expect(TABLE_ATTRIBUTES.ttl).toBe(TTL_ATTRIBUTE);
    expect(TABLE_ATTRIBUTES.nextClose).toBe(STATE_ATTR.nextClose);
    // The emitter's event filter selects state records by this sort key value.
    expect(STATE_RECORD_SORT_KEY).toBe(STATE_SORT_KEY);
    // The emitter's IAM condition keeps it off the checkpoint partition by this value.
    expect(STATE_CHECKPOINT_PARTITION).toBe(CHECKPOINT_PARTITION);
    // ...and confines its id key reads and writes to this partition.
    expect(STATE_META_PARTITION).toBe(META_PARTITION);
  });
});
