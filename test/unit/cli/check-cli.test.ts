import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../bin/cli';
import { parseLock } from '../../../core';

const root = resolve(import.meta.dirname, '../../..');
// Inside the repository (so the definitions resolve zod), in a folder git and biome ignore.
const cache = join(root, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'streamfold-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WINDOWS = "{ perMinute: tumbling('1m', { grace: '1m' }), recent: hopping('5m', '1m') }";
const WINDOWS_2M = "{ perMinute: tumbling('2m', { grace: '1m' }), recent: hopping('5m', '1m') }";
const AGGREGATES = '{ events: count(), revenue: sum((e) => e.amount) }';
const WITH_BIGGEST = '{ biggest: max((e) => e.amount), events: count(), revenue: sum((e) => e.amount) }';
const RESET = 'resets: { windows: { perMinute: 1 } },';

interface Edit {
  readonly windows?: string;
  readonly aggregates?: string;
  readonly extra?: string;
}

/** Write a definition file: the base with `windows`, `aggregates` and extra settings replaced as given (source). */
function definition(file: string, { windows = WINDOWS, aggregates = AGGREGATES, extra = '' }: Edit): string {
  writeFileSync(
    join(dir, file),
    `import { z } from 'zod';
import { count, definePipeline, hopping, max, sum, tumbling } from ${JSON.stringify(join(root, 'core/index.ts'))};
export default definePipeline({
  name: 'shop',
  schema: z.object({ id: z.string(), user: z.string(), ts: z.number(), amount: z.number() }),
  id: 'id',
  key: 'user',
  time: 'ts',
  windows: ${windows},
  aggregates: ${aggregates},
  ${extra}
});
`,
  );
  return file;
}

const lockName = (file: string) => file.replace(/\.ts$/, '.lock.json');
const lockOf = (file: string) => parseLock(readFileSync(join(dir, lockName(file)), 'utf8'));
let version = 0;
let current = '';

/**
 * The next version of the definition, in a file of its own (modules are cached by path in this process), with the
 * current lock file copied beside it: what editing the definition in place and running the CLI again does.
 */
function edit(change: Edit): string {
  const file = `shop${++version}.ts`;
  if (current && existsSync(join(dir, lockName(current)))) {
    writeFileSync(join(dir, lockName(file)), readFileSync(join(dir, lockName(current))));
  }
  current = file;
  return definition(file, change);
}

async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'streamfold', 'check', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

describe('streamfold check', () => {
  it('without a lock: fails and says how to create it; --write creates it; then the definition matches', async () => {
    const file = edit({});
    const missing = await run('--pipeline', file);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /no lock file shop1\.lock\.json: create it with streamfold check --pipeline shop1\.ts --write/,
    );
    const created = await run('--pipeline', file, '--write');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/first lock of pipeline "shop", layout \S{8}\nwrote shop1\.lock\.json/);
    expect(lockOf(file).schema.compatibility).toBe('BACKWARD');
    const again = await run('--pipeline', file);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(/no changes: the definition matches the lock/);
  });

  it('a compatible change passes, is printed with its class, and --write keeps the old layout as history', async () => {
    const before = lockOf(current);
    const file = edit({ aggregates: WITH_BIGGEST });
    const r = await run('--pipeline', file, '--write');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/carried with partial windows\s+aggregates\.biggest\s+added \(max\) in perMinute, recent/);
    const after = lockOf(file);
    expect(after.layouts.map((d) => d.fingerprint)).toEqual([after.layout, before.layout]);
  });

  it('an incompatible change fails (exit 1), prints the way out, and is never written', async () => {
    const file = edit({ windows: WINDOWS_2M, aggregates: WITH_BIGGEST });
    const before = readFileSync(join(dir, lockName(file)), 'utf8');
    const r = await run('--pipeline', file, '--write');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/incompatible\s+windows\.perMinute\s+size 1m → 2m/);
    expect(r.stdout).toMatch(/way out: .*resets: \{ windows: \{ perMinute: 1 \} \}/);
    expect(r.stdout).toMatch(/shop3\.lock\.json not written/);
    expect(r.stderr).toMatch(/1 incompatible change in shop3\.ts/);
    expect(readFileSync(join(dir, lockName(file)), 'utf8')).toBe(before);
  });

  it('declared (resets) it passes; --json prints the report', async () => {
    const file = edit({ windows: WINDOWS_2M, aggregates: WITH_BIGGEST, extra: RESET });
    const r = await run('--pipeline', file, '--json', '--write');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ pipeline: 'shop', incompatible: 0, written: true });
    expect(report.changes).toEqual([expect.objectContaining({ subject: 'windows.perMinute', class: 'partial' })]);
  });

  it('an extractor change is refused unless accepted; a structural change cannot be accepted', async () => {
    const aggregates = '{ biggest: max((e) => e.amount * 100), events: count(), revenue: sum((e) => e.amount) }';
    const file = edit({ windows: WINDOWS_2M, aggregates, extra: RESET });
    const refused = await run('--pipeline', file);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/aggregates\.biggest\s+field changed \(function source\)/);
    const wrong = await run('--pipeline', file, '--accept', 'windows.perMinute');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /--accept windows\.perMinute: no incompatible change .* \(acceptable: aggregates\.biggest;/,
    );
    const accepted = await run('--pipeline', file, '--accept', 'aggregates.biggest', '--write');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/incompatible, accepted\s+aggregates\.biggest/);
    expect((await run('--pipeline', file)).stdout).toMatch(/no changes/);
  });

  it('--against a definition file, a git ref or a lock file; --compatibility sets the mode', async () => {
    const first = definition('first.ts', {});
    const againstDefinition = await run('--pipeline', current, '--against', first);
    expect(againstDefinition.stdout).toMatch(/against first\.ts/);
    expect(againstDefinition.stdout).toMatch(/aggregates\.biggest\s+added/);
    expect(againstDefinition.stdout).toMatch(/windows\.perMinute\s+reset \(declared/);

    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, stdio: 'pipe' });
    git('init', '-q');
    const file = edit({ windows: WINDOWS_2M, extra: RESET });
    git('add', lockName(file));
    git('commit', '-qm', 'lock');
    writeFileSync(join(dir, 'old.lock.json'), readFileSync(join(dir, lockName(file))));
    const viaGit = await run('--pipeline', file, '--against', 'HEAD', '--compatibility', 'full', '--write');
    expect(viaGit.code).toBe(0);
    expect(viaGit.stdout).toMatch(/against HEAD/);
    expect(viaGit.stdout).toMatch(/aggregates\.biggest\s+removed/);
    expect(viaGit.stdout).toMatch(/schema\s+compatibility BACKWARD → FULL/);
    expect(lockOf(file).schema.compatibility).toBe('FULL');
    const viaFile = await run('--pipeline', file, '--against', 'old.lock.json');
    expect(viaFile.stdout).toMatch(/against old\.lock\.json/);
    expect(viaFile.stdout).toMatch(/aggregates\.biggest\s+removed/);
    const badRef = await run('--pipeline', file, '--against', 'no-such-ref');
    expect(badRef.code).toBe(2);
    expect(badRef.stderr).toMatch(
      /--against "no-such-ref": not a file, and git has no shop\d+\.lock\.json at that ref/,
    );
  });

  it('a bad --compatibility is a usage error', async () => {
    const r = await run('--pipeline', current, '--compatibility', 'sideways');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected one of BACKWARD, FORWARD, FULL, got "sideways"/);
  });
});
