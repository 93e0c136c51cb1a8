import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobNotFoundError } from '../../lambdas/store/errors';
import { decodeS3EventKey } from '../../lambdas/store/s3-event-key';
import { readableFrom } from '../../lambdas/store/s3-blob-store';
import type { S3Event } from '../../lambdas/local/emulators';
import { startTestEnv, type TestEnv } from './helpers';

/** Deterministic pseudo-random bytes (AES-256-CTR keystream of a seed), produced in 64 KiB chunks (never held whole). */
function byteStream(total: number, seed: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(String(seed)).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(64 * 1024);
  let produced = 0;
  const stream = new Readable({
    read() {
      if (produced >= total) return this.push(null);
      const n = Math.min(zeros.length, total - produced);
      const chunk = cipher.update(zeros.subarray(0, n));
      produced += n;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

async function sha256Of(stream: Readable): Promise<{ hex: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { hex: hash.digest('hex'), bytes };
}

describe('S3BlobStore on s3rver', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv();
  });
  afterAll(() => env?.close());

  test('text and JSON round trips, head, exists, delete', async () => {
    const raw = env.stores.raw;
    const text = 'customer_id,score\nabc,5\n"é ü 中文",3\n';
    const put = await raw.putText('incoming/ds1/reviews.csv', text);
    expect(put.etag).toBe(createHash('md5').update(text).digest('hex'));
    expect(await raw.getText('incoming/ds1/reviews.csv')).toBe(text);

    const doc = { a: 0.1 + 0.2, b: [1, 2, { c: null }], d: 'x' };
    await env.stores.artifacts.putJson('features/ds1/features.json', doc);
    expect(await env.stores.artifacts.getJson('features/ds1/features.json')).toEqual(doc);
    expect((await env.stores.artifacts.head('features/ds1/features.json'))?.contentType).toBe('application/json');

    const head = await raw.head('incoming/ds1/reviews.csv');
    expect(head).toMatchObject({ size: Buffer.byteLength(text), etag: put.etag });
    expect(await raw.exists('incoming/ds1/reviews.csv')).toBe(true);
    expect(await raw.exists('incoming/ds1/nope.csv')).toBe(false);
    expect(await raw.head('incoming/ds1/nope.csv')).toBeUndefined();

    await raw.delete('incoming/ds1/reviews.csv');
    expect(await raw.exists('incoming/ds1/reviews.csv')).toBe(false);
    await expect(raw.getText('incoming/ds1/reviews.csv')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(raw.get('missing/key')).rejects.toThrow('s3://olist-segments-raw/missing/key does not exist');
    // the two buckets are separate
    expect(await raw.exists('features/ds1/features.json')).toBe(false);
  });

  test('20 MB stream of unknown length: multipart upload, byte-exact download', async () => {
    const size = 20 * 1024 * 1024;
    const src = byteStream(size, 42);
    const commands: string[] = [];
    env.stores.s3.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(context.commandName!);
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    try {
      await env.stores.artifacts.putStream('big/20mb.bin', src.stream, { partSize: 8 * 1024 * 1024 });
    } finally {
      env.stores.s3.middlewareStack.remove('recordCommands');
    }
    const expected = src.sha256();
    // 8 + 8 + 4 MiB parts (s3rver's multipart ETag is a plain MD5, unlike AWS's "<md5>-3", so count the calls)
    expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(3);
    expect(commands).toContain('CreateMultipartUploadCommand');
    expect(commands).toContain('CompleteMultipartUploadCommand');
    expect(commands).not.toContain('PutObjectCommand');
    const head = await env.stores.artifacts.head('big/20mb.bin');
    expect(head?.size).toBe(size);
    const got = await sha256Of(await env.stores.artifacts.get('big/20mb.bin'));
    expect(got.bytes).toBe(size);
    expect(got.hex).toBe(expected);
  });

  test('stream of known length: single PutObject (the body buffered, so the SDK can retry it)', async () => {
    const size = 3 * 1024 * 1024 + 17;
    const src = byteStream(size, 7);
    const put = await env.stores.raw.putStream('incoming/ds2/orders.csv', src.stream, { contentLength: size, contentType: 'text/csv' });
    expect(put.etag).toMatch(/^[0-9a-f]{32}$/); // single part
    const got = await sha256Of(await env.stores.raw.get('incoming/ds2/orders.csv'));
    expect(got).toEqual({ hex: src.sha256(), bytes: size });
    expect((await env.stores.raw.head('incoming/ds2/orders.csv'))?.contentType).toBe('text/csv');
  });

  test('list: prefix filter, key order, pagination past 1,000 keys', async () => {
    const store = env.stores.raw;
    const keys = Array.from({ length: 1050 }, (_, i) => `listing/part-${String(i).padStart(5, '0')}.txt`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => store.putText(k, k)));
    }
    await store.putText('listing-other/x.txt', 'x');
    const listed = await store.list('listing/');
    expect(listed.map((b) => b.key)).toEqual(keys);
    expect(listed[17]).toMatchObject({ size: keys[17].length, etag: createHash('md5').update(keys[17]).digest('hex') });
    expect(await store.list('listing/part-0104')).toHaveLength(10);
    expect(await store.list('no-such-prefix/')).toEqual([]);
    // exists() is a one-key listing: the key itself, not a key it prefixes, not its neighbours.
    expect(await store.exists('listing/part-00104.txt')).toBe(true);
    expect(await store.exists('listing/part-00104')).toBe(false);
    expect(await store.exists('listing/part-00104.tx')).toBe(false);
    expect(await store.exists('listing/part-00104.txt.bak')).toBe(false);
    expect(await store.exists('listing')).toBe(false);
    // ListObjectsV2 pages with continuation tokens too (s3rver's DES tokens, served by emulators.ts).
    const v2: string[] = [];
    for await (const page of paginateListObjectsV2({ client: env.stores.s3, pageSize: 100 }, { Bucket: store.bucket, Prefix: 'listing/' })) {
      v2.push(...(page.Contents ?? []).map((o) => o.Key!));
    }
    expect(v2).toEqual(keys);
  });

  test('object-created events: filtered by bucket and prefix, keys URL-encoded like AWS', async () => {
    const seen: S3Event[] = [];
    const unsubscribe = env.emulators.onObjectCreated((e) => void seen.push(e), { bucket: env.emulators.rawBucket, prefix: 'incoming/' });
    await env.stores.raw.putText('incoming/ds3/order items+x.csv', 'a');
    await env.stores.raw.putStream('incoming/ds3/stream.csv', readableFrom('b'));
    await env.stores.raw.putText('elsewhere/ds3/x.csv', 'c');
    await env.stores.artifacts.putText('incoming/ds3/in-artifacts.csv', 'd');
    await env.emulators.drain();
    unsubscribe();
    await env.stores.raw.putText('incoming/ds3/after-unsubscribe.csv', 'e');
    await env.emulators.drain();

    const keys = seen.map((e) => e.Records[0].s3.object.key);
    expect(keys.sort()).toEqual(['incoming/ds3/order+items%2Bx.csv', 'incoming/ds3/stream.csv']);
    expect(keys.map(decodeS3EventKey).sort()).toEqual(['incoming/ds3/order items+x.csv', 'incoming/ds3/stream.csv']);
    const rec = seen.find((e) => e.Records[0].s3.object.key.endsWith('stream.csv'))!.Records[0];
    expect(rec.eventName).toMatch(/^ObjectCreated:/);
    expect(rec.s3.bucket.name).toBe(env.emulators.rawBucket);
  });

  test('a failing listener is reported and does not break others', async () => {
    const errors: unknown[] = [];
    let ok = 0;
    const u1 = env.emulators.onObjectCreated(async () => { throw new Error('boom'); }, { prefix: 'fail/' }, (err) => errors.push(err));
    const u2 = env.emulators.onObjectCreated(() => void ok++, { prefix: 'fail/' });
    await env.stores.raw.putText('fail/x', 'x');
    await env.emulators.drain();
    u1();
    u2();
    expect(ok).toBe(1);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
  });
});
