/** The parts of the Lambda event shapes the handlers read (kept here instead of depending on @types/aws-lambda). */
export interface S3NotificationEvent {
  Records: { eventName?: string; s3: { bucket: { name: string }; object: { key: string; size?: number } } }[];
}
