/** The storage layer's public API (interfaces first; implementations and wiring after). */
export type { BlobStore, BlobInfo, BlobHead, PutOptions, PutStreamOptions, PutResult } from './blob-store';
export type * from './segment-store';
export { handoffToken, IN_PROGRESS_RUN_STATUSES } from './segment-store';
export { S3BlobStore, readableFrom } from './s3-blob-store';
export { createSegmentStore, type SegmentStoreOptions } from './dynamo-segment-store';
export { SegmentsClient } from './client';
export type { CustomerSegment, SegmentCustomer, SegmentCustomersPage, SegmentRef, ListSegmentCustomersOptions } from './client';
export { createStores, loadStoreConfig, createS3Client, createDynamoClient, ENV, type StoreConfig, type Stores } from './config';
export { decodeS3EventKey, encodeS3EventKey } from './s3-event-key';
export * from './errors';
export * from './table-schema';
