#!/usr/bin/env node
// The `streamfold` command. Installed from npm it runs the compiled CLI (dist/bin/cli); in a checkout of the
// repository, where bin/cli/index.ts exists, the TypeScript sources.
//
// Either way the CLI imports users' TypeScript pipeline files, through tsx. Both of tsx's hooks are registered: a .ts
// file outside a `"type": "module"` package is CommonJS for Node, and with tsx's ES module hooks alone Node received
// it untranspiled to CommonJS, saw ES module syntax in it, and require()d it as an ES module while the ESM loader was
// still importing that same file: "Cannot require() ES Module ... in a cycle" (ERR_REQUIRE_CYCLE_MODULE).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

const source = new URL('./cli/index.ts', import.meta.url);
const fromSource = existsSync(source);
// From source, the repository's tsconfig.json (its `paths` map `streamfold` to the sources) applies wherever the CLI
// runs; installed, tsx reads the tsconfig.json of the working directory, as it does for any project.
if (fromSource) process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../tsconfig.json', import.meta.url));
registerEsm();
registerCommonJs();
const { main } = await import(fromSource ? source.href : '../dist/bin/cli/index.js');
process.exitCode = await main(process.argv);
