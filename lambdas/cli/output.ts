/**
 * Writing a run's files so that no reader ever sees a half-written set: everything goes to a temporary
 * folder inside --out first and is renamed into place once complete.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';

export class OutputDir {
  private constructor(
    readonly dir: string,
    private readonly tmp: string,
    private readonly files: string[] = [],
  ) {}

  static async open(dir: string): Promise<OutputDir> {
    await mkdir(dir, { recursive: true });
    return new OutputDir(dir, await mkdtemp(join(dir, '.partial-')));
  }

  async json(name: string, value: unknown): Promise<void> {
    await writeFile(join(this.tmp, name), JSON.stringify(value, null, 2) + '\n');
    this.files.push(name);
  }

  async text(name: string, chunks: Iterable<string>): Promise<void> {
    const out = createWriteStream(join(this.tmp, name));
    for (const chunk of chunks) if (!out.write(chunk)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    this.files.push(name);
  }

  /** Moves every written file into place; returns their final paths. */
  async commit(): Promise<string[]> {
    for (const f of this.files) await rename(join(this.tmp, f), join(this.dir, f));
    await rm(this.tmp, { recursive: true, force: true });
    return this.files.map((f) => join(this.dir, f));
  }

  async abort(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
  }
}
