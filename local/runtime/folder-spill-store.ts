import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { SpillStore } from '../../lambdas/emitter/index';

/**
 * The local runtime's {@link SpillStore}: each key is a file under `root` (the runtime's `.streamfold`, so spilled
 * messages land in `.streamfold/undelivered/<sink>/<yyyy-mm-dd>/...jsonl`, as in the data lake bucket in the cloud).
 * Writes go to a temporary file that is renamed, so a reader never sees half an object.
 */
export class FolderSpillStore implements SpillStore {
  constructor(readonly root: string) {}

  #path(key: string): string {
    if (key.split('/').some((part) => part === '..' || part === '')) {
      throw new Error(`spill key ${JSON.stringify(key)}: empty or '..' path segment`);
    }
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: string): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomUUID()}.tmp`;
    await writeFile(temporary, body);
    await rename(temporary, path);
  }

  async list(prefix: string): Promise<string[]> {
    const base = join(this.root, ...prefix.split('/').filter((p) => p !== ''));
    let names: string[];
    try {
      names = await readdir(base, { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((name) => !name.endsWith('.tmp'))
      .map((name) => relative(this.root, join(base, name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix) && key.endsWith('.jsonl'))
      .sort();
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.#path(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }
}
