/**
 * lambdas/bundling/aws-credentials.ts: the SDK clients' default credential chain in the Lambda bundles, reduced to the
 * environment (where Lambda puts the role's credentials).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { esbuildOptionsOf } from '../../../bench/bundle';
import { HANDLER_BUNDLING, PROJECT_ROOT } from '../../../lib/processor-entry';

const ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;

describe('SDK credentials in the Lambda bundles', () => {
  // Inside the project (git-ignored), so the entry resolves the SDK from its node_modules.
  mkdirSync(join(PROJECT_ROOT, '.streamfold'), { recursive: true });
  const dir = mkdtempSync(join(PROJECT_ROOT, '.streamfold', 'test-credentials-'));
  const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
  afterAll(() => {
    for (const name of ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('come from the environment, and the rest of the default chain is not bundled', { timeout: 60_000 }, async () => {
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      [
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        "export const credentials = () => new DynamoDBClient({ region: 'eu-west-1' }).config.credentials();",
      ].join('\n'),
    );
    const outfile = join(dir, 'entry.mjs');
    await build({
      ...esbuildOptionsOf(HANDLER_BUNDLING),
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      logLevel: 'silent',
    });
    const code = readFileSync(outfile, 'utf8');
    for (const absent of ['fromSSO', 'fromIni', 'fromTokenFile', 'fromInstanceMetadata', 'sso-oidc']) {
      expect(code.includes(absent), `the bundle contains ${absent}`).toBe(false);
    }
    const bundled = (await import(pathToFileURL(outfile).href)) as { credentials: () => Promise<unknown> };
    delete process.env.AWS_PROFILE;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    process.env.AWS_SESSION_TOKEN = 'token';
    await expect(bundled.credentials()).resolves.toMatchObject({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    delete process.env.AWS_ACCESS_KEY_ID;
    await expect(bundled.credentials()).rejects.toThrow(/Unable to find environment variable credentials/);
  });
});
