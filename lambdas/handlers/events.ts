/** The parts of the Lambda event shapes the handlers read (kept here instead of depending on @types/aws-lambda). */
export interface S3NotificationEvent {
  Records: { eventName?: string; s3: { bucket: { name: string }; object: { key: string; size?: number } } }[];
}

/** The parts of the Lambda context the handlers read. */
export interface InvocationContext {
  /** The run lease's owner (lambdas/pipeline/lease.ts): Lambda's retries of an async invocation carry the same id,
   * every other delivery of an event (a duplicate, a later upload) a new one. */
  awsRequestId: string;
  /** Until the function's timeout: the lease covers it (+ a margin). */
  getRemainingTimeInMillis(): number;
}
