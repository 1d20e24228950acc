/**
 * The README's reference section is what scripts/reference.ts renders from the TSDoc (run `npm run docs` after
 * changing a documented export), and its settings table lists every deploy setting.
 */
import { readFileSync } from 'node:fs';
import { DEPLOY_SETTING_NAMES } from 'streamfold';
import { describe, expect, it } from 'vitest';
import { REFERENCE_BEGIN, REFERENCE_END, renderReference, withReference } from '../../scripts/reference';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('holds the reference rendered from the current TSDoc', () => {
    expect(readme.indexOf(REFERENCE_BEGIN)).toBeGreaterThan(0);
    expect(readme.indexOf(REFERENCE_END)).toBeGreaterThan(readme.indexOf(REFERENCE_BEGIN));
    expect(withReference(readme, renderReference())).toBe(readme);
  });

  it('documents every deploy setting (context key) in the settings table', () => {
    // A row's first cell names one setting, or several: | `mskMinPollers` / `mskMaxPollers` |
    const firstCells = [...readme.matchAll(/^\| (`[A-Za-z]+`(?: \/ `[A-Za-z]+`)*) \|/gm)].map((m) => m[1]!);
    const rows = new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1])));
    expect(DEPLOY_SETTING_NAMES.filter((name) => !rows.has(name))).toEqual([]);
  });

  it('documents the definition API and every construct prop', () => {
    const reference = renderReference();
    for (const name of ['definePipeline(input)', 'tumbling(size, options?)', 'replay(pipeline, lines, options?)']) {
      expect(reference).toContain(`**\`${name}\`**`);
    }
    for (const prop of [
      '`pipeline`',
      '`definition`',
      '`batchSize?`',
      '`idleTimeout?`',
      '`eventTypeField?`',
      '`rawEventDelivery?`',
    ]) {
      expect(reference).toContain(`| ${prop} |`);
    }
  });
});
