import type { RegisterCommand } from '../context';
import { registerDev } from './dev';
import { registerReplay } from './replay';
import { registerState } from './state';

/** Every CLI command, in help order. Adding a command: one file in this folder and one line here. */
export const COMMANDS: readonly RegisterCommand[] = [registerDev, registerReplay, registerState];
