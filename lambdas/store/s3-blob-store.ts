/** BlobStore on one S3 bucket; the same code runs against AWS and s3rver (see config.ts for the client settings). */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BlobHead, BlobInfo, BlobStore, BlobVersion, PutOptions, PutResult, PutStreamOptions } from './blob-store';
import { BlobNotFoundError } from './errors';
import { resumableBody } from './resumable-read';

const MIB = 1024 * 1024;

function stripQuotes(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async get(key: string): Promise<Readable> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!res.Body) throw new Error(`s3://${this.bucket}/${key}: empty response body`);
      // A connection reset mid-body is resumed from the same offset of the same object version (resumable-read.ts).
      const reopen = async (offset: number) => {
        const rest = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${offset}-`, IfMatch: res.ETag }));
        if (!rest.Body) throw new Error(`s3://${this.bucket}/${key}: empty response body (from byte ${offset})`);
        return rest.Body as Readable;
      };
      return resumableBody(res.Body as Readable, reopen, { length: res.ContentLength });
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(this.bucket, key);
      throw err;
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Buffer> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end}` }));
      if (!res.Body) throw new Error(`s3://${this.bucket}/${key}: empty response body (bytes ${start}-${end})`);
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(this.bucket, key);
      throw err;
    }
  }

  async getText(key: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.get(key)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  }

  async getJson<T = unknown>(key: string): Promise<T> {
    const text = await this.getText(key);
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`s3://${this.bucket}/${key} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }

  async putText(key: string, text: string, options: PutOptions = {}): Promise<PutResult> {
    const body = Buffer.from(text, 'utf8');
    const res = await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ContentType: options.contentType ?? 'text/plain; charset=utf-8',
      }),
    );
    return { key, etag: stripQuotes(res.ETag) };
  }

  putJson(key: string, value: unknown, options: PutOptions = {}): Promise<PutResult> {
    return this.putText(key, JSON.stringify(value), { contentType: options.contentType ?? 'application/json' });
  }

  async putStream(key: string, body: Readable, options: PutStreamOptions = {}): Promise<PutResult> {
    const partSize = Math.max(options.partSize ?? 8 * MIB, 5 * MIB);
    if (options.contentLength !== undefined && options.contentLength <= partSize) {
      // Known small length: one PutObject. The body is buffered (at most one part): the SDK never retries a
      // streaming request body (it cannot rewind it), so a 500/503 would otherwise fail the whole step.
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      const buffered = Buffer.concat(chunks);
      if (buffered.length !== options.contentLength) {
        throw new Error(`s3://${this.bucket}/${key}: the body has ${buffered.length} bytes, contentLength says ${options.contentLength}`);
      }
      const res = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: buffered,
          ContentLength: options.contentLength,
          ContentType: options.contentType ?? 'application/octet-stream',
        }),
      );
      return { key, etag: stripQuotes(res.ETag) };
    }
    // Unknown or large length: lib-storage buffers one part at a time (multipart, aborted on failure).
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: options.contentType ?? 'application/octet-stream' },
      partSize,
      queueSize: options.queueSize ?? 4,
      leavePartsOnError: false,
    });
    const res = await upload.done();
    return { key, etag: stripQuotes(res.ETag) };
  }

  /**
   * ListObjects (V1) with Marker = last key: s3rver's V2 continuation tokens use DES, which OpenSSL 3 (Node >= 17)
   * refuses, so any truncated V2 listing fails there; V1 paging behaves the same on AWS and s3rver.
   */
  async list(prefix: string): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    let marker: string | undefined;
    for (;;) {
      const res = await this.s3.send(new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, Marker: marker }));
      const contents = res.Contents ?? [];
      for (const o of contents) {
        out.push({ key: o.Key!, size: o.Size ?? 0, etag: stripQuotes(o.ETag), lastModified: o.LastModified });
      }
      if (!res.IsTruncated || contents.length === 0) return out;
      marker = res.NextMarker ?? contents[contents.length - 1].Key;
    }
  }

  async head(key: string): Promise<BlobHead | undefined> {
    try {
      const res = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        size: res.ContentLength ?? 0,
        etag: stripQuotes(res.ETag),
        contentType: res.ContentType,
        lastModified: res.LastModified,
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * A listing, not a HeadObject: S3 answers a HeadObject of a missing key with 403 instead of 404 unless the caller may
   * s3:ListBucket the bucket without a prefix condition, which the stack's roles may not (they list only under their
   * prefixes). A listing with Prefix = key needs exactly the prefix-scoped grant; the key sorts first among the keys it
   * prefixes, so one key is enough.
   */
  async exists(key: string): Promise<boolean> {
    const res = await this.s3.send(new ListObjectsCommand({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 }));
    return res.Contents?.[0]?.Key === key;
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async setTags(key: string, tags: Record<string, string>): Promise<void> {
    await this.s3.send(new PutObjectTaggingCommand({ Bucket: this.bucket, Key: key, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
  }

  async listVersions(prefix: string): Promise<BlobVersion[] | undefined> {
    const out: BlobVersion[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      let res;
      try {
        res = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      } catch (err) {
        // s3rver answers ?versions with MethodNotAllowed (or NotImplemented): it keeps no versions.
        const name = (err as { name?: string; Code?: string }).name ?? (err as { Code?: string }).Code;
        if (name === 'MethodNotAllowed' || name === 'NotImplemented') return undefined;
        throw err;
      }
      for (const v of res.Versions ?? []) out.push({ key: v.Key!, versionId: v.VersionId ?? 'null', isLatest: v.IsLatest === true, deleteMarker: false, size: v.Size ?? 0 });
      for (const m of res.DeleteMarkers ?? []) out.push({ key: m.Key!, versionId: m.VersionId ?? 'null', isLatest: m.IsLatest === true, deleteMarker: true, size: 0 });
      if (!res.IsTruncated) return out;
      keyMarker = res.NextKeyMarker;
      versionIdMarker = res.NextVersionIdMarker;
    }
  }

  async getVersion(key: string, versionId: string): Promise<Readable> {
    const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    return res.Body as Readable;
  }

  async deleteVersion(key: string, versionId: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
  }
}

/** Convenience for tests and small documents: a Readable over a Buffer or string. */
export function readableFrom(data: Buffer | string): Readable {
  return Readable.from([typeof data === 'string' ? Buffer.from(data) : data]);
}
