import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The package's own name resolves to its public entry points (tsconfig.json `paths`, which tsc, tsx and esbuild read
 * too): tests import `streamfold`, `streamfold/cdk` and `streamfold/runtime` as users do.
 */
const paths = (
  JSON.parse(readFileSync(new URL('./tsconfig.json', import.meta.url), 'utf8')) as {
    compilerOptions: { paths: Record<string, [string]> };
  }
).compilerOptions.paths;
const alias = Object.entries(paths).map(([name, [target]]) => {
  const file = fileURLToPath(new URL(target, import.meta.url));
  return name.endsWith('/*')
    ? { find: new RegExp(`^${name.slice(0, -2)}/([a-z-]+)$`), replacement: file.replace('*', '$1') }
    : { find: new RegExp(`^${name}$`), replacement: file };
});

/** Test tiers as projects: unit (no network), infra (CDK synth), integration (embedded engines), e2e (whole local pipeline). */
export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 180_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/setup/global-engines.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
