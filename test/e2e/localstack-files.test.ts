// The LocalStack folder must create what the local runtime and the CDK app create: the init hook's table inputs are
// checked against lambdas/state/tables.ts, its names against core/names.ts, and the image pin against the
// README's rule (4.12, never `latest`) (Docker is not needed: the files are read, not run).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resourceNames } from '../../core/names';
import { dedupeTableInput, stateTableInput } from '../../lambdas/state/index';

/** A shell variable reference as written in the hook, e.g. `${P}`. */
const shellVar = (name: string) => `\${${name}}`;
const root = resolve(import.meta.dirname, '../..');
const hook = readFileSync(resolve(root, 'localstack/init/ready.d/10-streamfold-resources.sh'), 'utf8');
const compose = readFileSync(resolve(root, 'localstack/docker-compose.yml'), 'utf8');

/** The JSON documents of the hook's heredocs, with the shell variables filled in for a pipeline. */
function hookTables(pipeline: string): Record<string, unknown>[] {
  const names = resourceNames({ name: pipeline });
  return [...hook.matchAll(/<<JSON\n(.*?)\nJSON/gs)].map((m) =>
    JSON.parse(
      (m[1] ?? '')
        .replaceAll(shellVar('STATE_TABLE'), names.stateTable)
        .replaceAll(shellVar('DEDUPE_TABLE'), names.dedupeTable),
    ),
  );
}

describe('localstack folder', () => {
  it('pins the last community image that starts without a token (4.12)', () => {
    expect(compose).toMatch(/image: localstack\/localstack:4\.12\n/);
    expect(compose).toContain('./init/ready.d:/etc/localstack/init/ready.d');
  });

  it('creates the state and dedupe tables exactly as stateTableInput / dedupeTableInput describe them', () => {
    const names = resourceNames({ name: 'clickstream' });
    expect(hookTables('clickstream')).toEqual([
      JSON.parse(JSON.stringify(stateTableInput(names.stateTable))),
      JSON.parse(JSON.stringify(dedupeTableInput(names.dedupeTable))),
    ]);
  });

  it('uses the resource names of core/names.ts', () => {
    const p = shellVar('P');
    const names = resourceNames({ name: p });
    expect(hook).toContain(`STREAM="${names.stream}"`);
    expect(hook).toContain(`STATE_TABLE="${names.stateTable}"`);
    expect(hook).toContain(`DEDUPE_TABLE="${names.dedupeTable}"`);
    for (const queue of [names.rejectedQueue, names.lateQueue, names.failedQueue]) {
      expect(queue.startsWith(`${p}-`)).toBe(true);
      expect(hook).toContain(queue.slice(`${p}-`.length));
    }
    expect(hook).toContain('AttributeName=ttl');
  });
});
