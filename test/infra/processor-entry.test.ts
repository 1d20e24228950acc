/** The generated processor entry module, and the table layout the stack shares with lambdas/state/tables.ts. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bundlingProject,
  handlerEntrySource,
  PROJECT_ROOT,
  processorEntrySource,
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

describe('bundling project', () => {
  it('is this repository for the reference pipeline: the lock file nearest above the definition', () => {
    const repo = resolve(import.meta.dirname, '../..');
    expect(bundlingProject({ path: CLICKSTREAM_PATH })).toEqual({
      projectRoot: repo,
      depsLockFilePath: join(repo, 'package-lock.json'),
    });
  });

  it("is the user's project for a pipeline in it (any lock file npm, yarn, pnpm or bun write)", () => {
    const project = mkdtempSync(join(tmpdir(), 'streamfold-project-'));
    mkdirSync(join(project, 'pipelines'));
    writeFileSync(join(project, 'pnpm-lock.yaml'), '');
    const definition = { path: join(project, 'pipelines', 'orders.ts') };
    writeFileSync(definition.path, '');
    expect(bundlingProject(definition)).toEqual({
      projectRoot: project,
      depsLockFilePath: join(project, 'pnpm-lock.yaml'),
    });
    // The generated entries go into that project, not into the installed streamfold package.
    const entry = writeHandlerEntry(definition, 'closer');
    expect(entry.startsWith(join(project, '.streamfold', 'cdk-entries'))).toBe(true);
  });
});
