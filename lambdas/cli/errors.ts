/** Errors the CLI turns into one clear line and an exit code, instead of a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
