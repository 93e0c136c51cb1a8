/**
 * Object storage as the domain sees it: one bucket, keys, streams and small text/JSON documents.
 * Implemented by S3BlobStore (AWS S3 and s3rver with the same code).
 */
import type { Readable } from 'node:stream';

export interface BlobInfo {
  key: string;
  size: number;
  /** The ETag without quotes (an MD5 for single-part uploads, `<md5>-<parts>` for multipart ones). */
  etag: string;
  lastModified?: Date;
}

export interface BlobHead {
  size: number;
  etag: string;
  contentType?: string;
  lastModified?: Date;
}

export interface PutOptions {
  contentType?: string;
}

export interface PutStreamOptions extends PutOptions {
  /** If known: bodies up to one part are sent with a single PutObject; otherwise multipart. */
  contentLength?: number;
  /** Multipart part size in bytes (>= 5 MiB, default 8 MiB). */
  partSize?: number;
  /** Parts uploaded in parallel (default 4). */
  queueSize?: number;
}

export interface PutResult {
  key: string;
  etag: string;
}

/** One stored version of an object (versioned buckets). */
export interface BlobVersion {
  key: string;
  versionId: string;
  isLatest: boolean;
  /** A delete marker holds no data. */
  deleteMarker: boolean;
  size: number;
}

export interface BlobStore {
  /** The bucket name. */
  readonly bucket: string;
  /** A stream of the object's bytes; rejects with BlobNotFoundError when the key does not exist. */
  get(key: string): Promise<Readable>;
  /** Bytes start..end (inclusive) of the object; rejects with BlobNotFoundError. */
  getRange(key: string, start: number, end: number): Promise<Buffer>;
  /** The object as UTF-8 text; rejects with BlobNotFoundError. */
  getText(key: string): Promise<string>;
  /** The object parsed as JSON; rejects with BlobNotFoundError. */
  getJson<T = unknown>(key: string): Promise<T>;
  putText(key: string, text: string, options?: PutOptions): Promise<PutResult>;
  /** JSON.stringify(value) with content type application/json. */
  putJson(key: string, value: unknown, options?: PutOptions): Promise<PutResult>;
  /** Upload a stream of unknown (or known) length; multipart when larger than one part. */
  putStream(key: string, body: Readable, options?: PutStreamOptions): Promise<PutResult>;
  /** Every object whose key starts with prefix, in key order (all pages). */
  list(prefix: string): Promise<BlobInfo[]>;
  /**
   * Size and ETag, or undefined when the key does not exist. In AWS a missing key is a 403 (thrown) for a caller that
   * may not list the whole bucket: use exists() for optional objects.
   */
  head(key: string): Promise<BlobHead | undefined>;
  /** Whether the key exists, by a listing of the key as prefix (needs only s3:ListBucket on that prefix). */
  exists(key: string): Promise<boolean>;
  /** Delete the key (no error if it does not exist). */
  delete(key: string): Promise<void>;
  /** Replaces the object's tags (a lifecycle rule may select on them: lambdas/store/lifecycle.ts). */
  setTags(key: string, tags: Record<string, string>): Promise<void>;
  /**
   * Every version of every object under prefix, delete markers included (all pages); undefined when the store keeps
   * no versions (s3rver implements no versioning: its buckets hold only the current objects).
   */
  listVersions(prefix: string): Promise<BlobVersion[] | undefined>;
  /** A stream of one version's bytes. */
  getVersion(key: string, versionId: string): Promise<Readable>;
  /** Deletes one version for good (no delete marker is added). */
  deleteVersion(key: string, versionId: string): Promise<void>;
}
