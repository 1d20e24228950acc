import { describe, expect, it } from 'vitest';
import { ENGINE_WORKLOAD, type EngineFigures, enginePayloads, processPayloads } from '../../../bench/engine';
import { parseBenchArgs, runBench } from '../../../bench/index';
import { renderTable } from '../../../bench/report';
import { clickstream } from '../../../pipelines/clickstream';

describe('benchmark runner (npm run bench)', () => {
  it('prints JSON for named targets or --json, a table otherwise, and rejects unknown targets and flags', () => {
    expect(parseBenchArgs(['engine'])).toEqual({ targets: ['engine'], json: true, quick: false });
    expect(parseBenchArgs([])).toMatchObject({ json: false, targets: expect.arrayContaining(['engine']) });
    expect(parseBenchArgs(['--json', '--quick'])).toMatchObject({ json: true, quick: true });
    expect(parseBenchArgs(['engine', '--table'])).toMatchObject({ json: false });
    expect(() => parseBenchArgs(['nope'])).toThrow(/unknown benchmark target "nope"/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown option --fast/);
  });

  it('engine payloads are ~1 KB valid clickstream events from the configured users, all applied in one pass', () => {
    const w = { ...ENGINE_WORKLOAD, events: 3000, users: 10_000 };
    const payloads = enginePayloads(w);
    expect(payloads).toHaveLength(3000);
    const avg = payloads.reduce((n, p) => n + Buffer.byteLength(p), 0) / payloads.length;
    expect(avg).toBeGreaterThan(950);
    expect(avg).toBeLessThan(1100);
    expect(processPayloads(clickstream, payloads, 1000)).toMatchObject({ applied: 3000, rejected: 0, late: 0 });
  });

  it('a quick engine run reports the issue-7 fields, the workload and the machine, and renders as a table', async () => {
    const { report, failed } = await runBench({ targets: ['engine'], json: true, quick: true }, () => {});
    expect(failed).toBe(0);
    const engine = report.engine as EngineFigures;
    expect(engine.eventsPerSec).toBeGreaterThan(0);
    expect(engine.jsonParseRatio).toBeCloseTo(engine.eventsPerSec / engine.jsonParsePerSec, 2);
    expect(engine.workload).toMatchObject({ pipeline: 'clickstream', events: 5000, batchSize: 1000 });
    // The handler path ran the real handler: one state write per touched key per batch, and the requests it sends.
    expect(engine.handlerPath.dedupeOn.usPerEvent).toBeGreaterThan(0);
    expect(engine.handlerPath.dedupeOff.stateWritesPer1k).toBeGreaterThan(0);
    expect(engine.handlerPath.dedupeOff.stateWritesPer1k).toBeLessThanOrEqual(1000);
    expect(engine.handlerPath.requestsPerPass).toMatchObject({ PutItemCommand: expect.any(Number) });
    expect(report.machine.node).toBe(process.version);
    expect(report.machine.cpuModel.length).toBeGreaterThan(0);
    expect(renderTable(report, ['engine'])).toMatch(/engine\s+│ eventsPerSec/);
  }, 60_000);
});
