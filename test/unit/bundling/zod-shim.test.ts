/**
 * lambdas/bundling/zod.ts: what `import { z } from 'zod'` resolves to in the Lambda bundles. It must be zod's API
 * (the same members), keep the English messages, and leave the other locales out of the bundle.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import * as realZod from 'zod';
import en from 'zod/v4/locales/en.js';
import { esbuildOptionsOf } from '../../../bench/bundle';
import * as shim from '../../../lambdas/bundling/zod';
import { HANDLER_BUNDLING } from '../../../lib/processor-entry';

const sorted = (o: object) => Object.keys(o).sort();

/** Members of z the handlers never run, left out of the bundle: zod's compiler and its JSON Schema reader. */
const NOT_IN_BUNDLE = new Set(['compile', 'compileFn', 'withParser', 'fromJSONSchema']);

describe('the zod shim of the Lambda bundles', () => {
  it('has every member of zod’s z and z.core, the same values but for the locales', () => {
    const z = shim.z as unknown as Record<string, unknown>;
    const real = realZod.z as unknown as Record<string, unknown>;
    expect(sorted(z)).toEqual(sorted(real));
    for (const key of Object.keys(real)) {
      if (key !== 'locales' && key !== 'core' && !NOT_IN_BUNDLE.has(key)) expect(z[key], key).toBe(real[key]);
    }
    const core = z.core as Record<string, unknown>;
    const realCore = real.core as Record<string, unknown>;
    expect(sorted(core)).toEqual(sorted(realCore));
    for (const key of Object.keys(realCore)) {
      if (key !== 'locales' && !NOT_IN_BUNDLE.has(key)) expect(core[key], key).toBe(realCore[key]);
    }
    expect(shim.default).toBe(shim.z);
    // Named exports are zod's own, locales included (a pipeline that imports them by name asked for them).
    expect(shim.object).toBe(realZod.object);
    expect(shim.locales).toBe(realZod.locales);
  });

  it('keeps the English locale and names every other one, which says it is not bundled', () => {
    const { locales } = shim.z;
    expect(locales.en).toBe(en);
    expect(sorted(locales)).toEqual(sorted(realZod.locales));
    expect(shim.z.core.locales).toBe(locales);
    expect(() => locales.de()).toThrow(/zod locale "de" is not bundled by streamfold .*from "zod\/v4\/locales"/);
  });

  it('leaves zod’s compiler and JSON Schema reader out of z, each saying how to import it', () => {
    const z = shim.z as unknown as Record<string, () => unknown>;
    const core = shim.z.core as unknown as Record<string, () => unknown>;
    for (const key of NOT_IN_BUNDLE) {
      if (key in z) expect(() => z[key]!(), key).toThrow(new RegExp(`import \\{ ${key} \\} from "zod"`));
      if (key in core) expect(() => core[key]!(), key).toThrow(/not bundled by streamfold/);
    }
    expect(Object.keys(realZod.z)).toEqual(expect.arrayContaining([...NOT_IN_BUNDLE].filter((k) => k !== 'compileFn')));
    // Imported by name, they are zod's own.
    expect(shim.compile).toBe(realZod.compile);
    expect(shim.fromJSONSchema).toBe(realZod.fromJSONSchema);
  });

  describe('bundled with HANDLER_BUNDLING', () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfold-zod-shim-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('leaves the other locales out and reports schema errors in English', { timeout: 60_000 }, async () => {
      const entry = join(dir, 'entry.ts');
      writeFileSync(
        entry,
        [
          "import { z } from 'zod';",
          'const Click = z.object({ userId: z.string().min(2), ts: z.iso.datetime({ offset: true }) });',
          'export const messages = [',
          '  Click.safeParse({ userId: 1, ts: "2026-01-01T00:00:00Z" }).error?.issues[0]?.message,',
          '  Click.safeParse({ userId: "u", ts: "2026-01-01T00:00:00Z" }).error?.issues[0]?.message,',
          '  Click.safeParse({ userId: "u1", ts: "yesterday" }).error?.issues[0]?.message,',
          '];',
          'export const german = () => z.locales.de();',
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
      expect(code.includes('Ungültige Eingabe'), 'the bundle contains zod’s German locale').toBe(false);
      expect(
        code.includes('a schema whose subtree contains a reference cycle'),
        'the bundle contains zod’s compiler',
      ).toBe(false);
      expect(code.includes('Invalid input'), 'the bundle lacks zod’s English locale').toBe(true);
      const bundled = (await import(pathToFileURL(outfile).href)) as { messages: string[]; german: () => unknown };
      expect(bundled.messages).toEqual([
        'Invalid input: expected string, received number',
        'Too small: expected string to have >=2 characters',
        'Invalid ISO datetime',
      ]);
      expect(bundled.german).toThrow(/not bundled by streamfold/);
    });
  });
});
