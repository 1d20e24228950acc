import type { RegisterCommand } from '../context';
import { registerCheck } from './check';
import { registerDev } from './dev';
import { registerInit } from './init';
import { registerProduce } from './produce';
import { registerQuery } from './query';
import { registerRedrive } from './redrive';
import { registerReplay } from './replay';
import { registerState } from './state';

/** Every CLI command, in help order. Adding a command: one file in this folder and one line here. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerInit,
  registerCheck,
  registerDev,
  registerProduce,
  registerQuery,
  registerRedrive,
  registerReplay,
  registerState,
];
