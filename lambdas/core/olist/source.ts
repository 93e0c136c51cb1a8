/**
 * Where the tables come from: a directory on disk here, an S3 prefix in the stack (lambdas/store).
 * The core only needs to open a file as a byte stream and know its size.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

export interface TableSource {
  /** Human-readable location used in error messages (a directory or s3://bucket/prefix). */
  readonly location: string;
  /** Size in bytes, or undefined when the file is absent. */
  size(file: string): Promise<number | undefined>;
  open(file: string): Promise<Readable>;
}

export function directorySource(dir: string): TableSource {
  return {
    location: dir,
    async size(file) {
      try {
        const s = await stat(join(dir, file));
        return s.isFile() ? s.size : undefined;
      } catch {
        return undefined;
      }
    },
    async open(file) {
      return createReadStream(join(dir, file), { highWaterMark: 1 << 20 });
    },
  };
}
