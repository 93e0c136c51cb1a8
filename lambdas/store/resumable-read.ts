/**
 * A GetObject body that survives a connection reset in the middle of the object. The SDK retries a request
 * that fails, but not a response body that breaks while it is being read (the request already succeeded):
 * the reader would see ECONNRESET halfway through a 100 MB table. Here the stream re-requests the rest with
 * `Range: bytes=<offset>-` and `If-Match: <etag>` (so a replaced object fails loudly instead of splicing two
 * versions) and carries on; the consumer sees one uninterrupted byte stream.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** Errors of a broken connection (Node's socket codes, the aborted-response error, the SDK's socket timeout). */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'EAI_AGAIN']);

export function isTransientStreamError(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string };
  return TRANSIENT_CODES.has(e?.code ?? '') || e?.name === 'TimeoutError' || e?.message === 'aborted';
}

export interface ResumeOptions {
  /** Re-requests after a break (default 5), with exponential backoff from baseDelayMs (default 100). */
  maxResumes?: number;
  baseDelayMs?: number;
  /** Total length, when known: a break after the last byte needs no re-request. */
  length?: number;
  /** Called on each resume (for logs and tests). */
  onResume?: (info: { offset: number; resumes: number; error: unknown }) => void;
}

/** `first` is the original body; `reopen(offset)` returns the body of a ranged request from offset on. */
export function resumableBody(first: Readable, reopen: (offset: number) => Promise<Readable>, options: ResumeOptions = {}): Readable {
  const maxResumes = options.maxResumes ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  async function* bytes(): AsyncGenerator<Buffer> {
    let stream = first;
    let offset = 0;
    let resumes = 0;
    for (;;) {
      try {
        for await (const chunk of stream) {
          const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
          offset += buf.length;
          yield buf;
        }
        return;
      } catch (err) {
        stream.destroy();
        if (!isTransientStreamError(err) || resumes >= maxResumes) throw err;
        if (options.length !== undefined && offset >= options.length) return;
        resumes++;
        options.onResume?.({ offset, resumes, error: err });
        await sleep(baseDelayMs * 2 ** (resumes - 1));
        stream = await reopen(offset);
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
