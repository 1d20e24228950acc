#!/usr/bin/env node
// The `streamfold` command: registers tsx's loader, then runs the TypeScript CLI in bin/cli (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli/index.ts');
process.exitCode = await main(process.argv);
