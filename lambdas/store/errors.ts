/** Errors of the storage layer that callers are expected to tell apart. */

export class BlobNotFoundError extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
  ) {
    super(`s3://${bucket}/${key} does not exist`);
    this.name = 'BlobNotFoundError';
  }
}

export class ModelNotFoundError extends Error {
  constructor(readonly version: string) {
    super(`model version ${version} does not exist (no MODEL#${version}/META item)`);
    this.name = 'ModelNotFoundError';
  }
}

/** The version is in a state that does not allow the operation (e.g. writing into an activated version). */
export class ModelStateError extends Error {
  constructor(
    readonly version: string,
    message: string,
  ) {
    super(`model version ${version}: ${message}`);
    this.name = 'ModelStateError';
  }
}

/** activateModel refused: the version is not completely written (or is being deleted); the ACTIVE pointer is unchanged. */
export class ActivationRefusedError extends Error {
  constructor(
    readonly version: string,
    readonly reasons: string[],
  ) {
    super(`activation of model version ${version} refused: ${reasons.join('; ')}`);
    this.name = 'ActivationRefusedError';
  }
}

/** Another activation changed the ACTIVE pointer between our read and our conditional write. */
export class ConcurrentActivationError extends Error {
  constructor(
    readonly version: string,
    readonly expectedPrevious: string | undefined,
  ) {
    super(
      `activation of model version ${version} lost a race: the ACTIVE pointer no longer points to ${expectedPrevious ?? '(nothing)'}; re-read and retry if still wanted`,
    );
    this.name = 'ConcurrentActivationError';
  }
}

/** A BatchWriteItem batch could not be written within the retry budget. Re-running the whole write is safe (idempotent puts). */
export class BatchWriteError extends Error {
  constructor(
    message: string,
    readonly details: { attempts: number; pendingItems: number; writtenItems: number; totalItems: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BatchWriteError';
  }
}

export class InvalidCursorError extends Error {
  constructor(reason: string) {
    super(`invalid pagination cursor: ${reason}`);
    this.name = 'InvalidCursorError';
  }
}

/** Input that the store refuses before writing anything (duplicate customers, unknown segments, negative spend...). */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** A run update was fenced off: the caller's lease on the run expired and another invocation took the run over. */
export class LeaseLostError extends Error {
  constructor(
    readonly datasetId: string,
    readonly owner: string,
  ) {
    super(`run ${datasetId}: the lease of ${owner} was lost (the run was taken over after the lease expired); this invocation stops`);
    this.name = 'LeaseLostError';
  }
}

/** activateModel({ ifNotOlder }) refused: the active version was trained on newer data. The version is kept ('superseded'). */
export class StaleModelError extends Error {
  constructor(
    readonly version: string,
    readonly asOf: string,
    readonly activeVersion: string,
    readonly activeAsOf: string,
  ) {
    super(`model version ${version} (data as of ${asOf}) was not activated: the active version ${activeVersion} has newer data (as of ${activeAsOf})`);
    this.name = 'StaleModelError';
  }
}
