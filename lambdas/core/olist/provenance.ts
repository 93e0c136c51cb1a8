/**
 * Where an export's data comes from, when the export says so in files beside its tables, for the reports to tell
 * their readers. Two conventions, neither tied to one dataset:
 *
 * - `provenance.json`: {"synthetic": true, "generator": "...", "seed": 1, "customers": 20000, "note": "..."}.
 *   `segments generate` writes it; anyone may add a `note` (one paragraph for people) to an export.
 * - `provenance/real_reviews.txt`: one line per review row that is real (`review_id,order_id`; lines starting with
 *   # are comments). Its presence says the other rows of the reviews table are not real (imputed, synthesised):
 *   every figure about satisfaction should be read with that share in mind.
 *
 * Both are optional; an export with neither has no provenance to show.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PROVENANCE_FILE = 'provenance.json';
export const REAL_REVIEWS_FILE = 'provenance/real_reviews.txt';
/** Every provenance file, relative to the export folder (uploaded with the tables by `npm start`). */
export const PROVENANCE_FILES = [PROVENANCE_FILE, REAL_REVIEWS_FILE] as const;

/** What `provenance.json` may hold. */
export interface ProvenanceFile {
  synthetic?: boolean;
  generator?: string;
  seed?: number;
  customers?: number;
  note?: string;
}

export interface DatasetProvenance {
  /** The export was generated, not collected: no real customer is in it. */
  synthetic?: { generator: string; seed?: number; customers?: number };
  /** A paragraph for people, from provenance.json. */
  note?: string;
  /** Review rows listed as real against the rows of the reviews table. */
  reviews?: { realRows: number; rows: number; imputedShare: number; listedIn: string };
}

/** Reads a file beside the tables as text; undefined when it is not there. */
export type SidecarReader = (file: string) => Promise<string | undefined>;

/** The provenance of an export, or undefined when it has none. `reviewRows`: rows of its reviews table. */
export async function readProvenance(read: SidecarReader, reviewRows: number): Promise<DatasetProvenance | undefined> {
  const out: DatasetProvenance = {};
  const json = await read(PROVENANCE_FILE);
  if (json !== undefined) {
    let p: ProvenanceFile;
    try {
      p = JSON.parse(json) as ProvenanceFile;
    } catch (err) {
      throw new Error(`${PROVENANCE_FILE}: not JSON (${(err as Error).message})`);
    }
    if (p.synthetic === true) out.synthetic = { generator: String(p.generator ?? 'a generator'), seed: p.seed, customers: p.customers };
    if (typeof p.note === 'string' && p.note.trim()) out.note = p.note.trim();
  }
  const real = await read(REAL_REVIEWS_FILE);
  if (real !== undefined && reviewRows > 0) {
    const realRows = real.split('\n').filter((l) => l.trim() && !l.startsWith('#')).length;
    out.reviews = { realRows, rows: reviewRows, imputedShare: Math.max(0, 1 - realRows / reviewRows), listedIn: REAL_REVIEWS_FILE };
  }
  return out.synthetic || out.note || out.reviews ? out : undefined;
}

/** The provenance file that marks an export written by `segments generate`. */
export function generatedProvenance(seed: number, customers: number): ProvenanceFile {
  return { synthetic: true, generator: 'segments generate', seed, customers };
}

/** Files beside the tables of an export folder. */
export function directorySidecars(dir: string): SidecarReader {
  return async (file) => {
    try {
      return await readFile(join(dir, file), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
}

/** Rows of the reviews table among a load's table reports (0 when absent). */
export function reviewRows(tables: { table: string; rows: number }[]): number {
  return tables.find((t) => t.table === 'reviews')?.rows ?? 0;
}
