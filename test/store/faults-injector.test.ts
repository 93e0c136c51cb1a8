/**
 * The fault injector itself (lambdas/local/faults.ts) against the emulators: injected errors come out of the
 * SDK as the service's own exception classes and are retried by the SDK's strategy like real ones; a broken
 * GetObject body is resumed by S3BlobStore; a crashed container's requests never complete.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetItemCommand, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { FaultInjector } from '../../lambdas/local/faults';
import { createStores, type Stores } from '../../lambdas/store/config';
import { startTestEnv, type TestEnv } from './helpers';

describe('fault injector on real clients', () => {
  let env: TestEnv;
  let stores: Stores;
  const faults = new FaultInjector();
  const container = faults.container();
  beforeAll(async () => {
    env = await startTestEnv({ inMemoryDynamo: true });
    stores = createStores({ ...env.emulators.env, AWS_MAX_ATTEMPTS: '3' }, { s3: (c) => faults.install(c, 's3', container), dynamo: (c) => faults.install(c, 'dynamodb', container) });
  });
  afterEach(() => faults.clear());
  afterAll(async () => {
    stores.s3.destroy();
    stores.dynamo.destroy();
    await env?.close();
  });

  const getItem = () => stores.dynamo.send(new GetItemCommand({ TableName: env.emulators.tableName, Key: { PK: { S: 'x' }, SK: { S: 'y' } } }));

  test('a throttling response is the SDK exception with status 400, retried by the SDK until its attempts run out', async () => {
    faults.set([{ name: 'pte', service: 'dynamodb', operations: ['GetItem'], from: 1, to: 2, fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException' } }]);
    const ok = await getItem(); // 2 throttled attempts, the 3rd reaches dynalite
    expect(ok.$metadata.attempts).toBe(3);
    faults.set([{ name: 'pte-always', service: 'dynamodb', operations: ['GetItem'], fault: { kind: 'error', status: 400, code: 'ProvisionedThroughputExceededException', message: 'slow down' } }]);
    const err = await getItem().catch((e) => e);
    expect(err).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(err.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 3 });
    expect(faults.hits('pte')).toBe(2);
    expect(faults.hits('pte-always')).toBe(3);
  });

  test('S3 503 SlowDown is retried by the SDK; a broken GetObject body is resumed at the same offset', async () => {
    const body = Buffer.alloc(1_000_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 2654435761) >>> 24;
    faults.set([{ name: 'slow', service: 's3', operations: ['PutObject'], from: 1, to: 1, fault: { kind: 'error', status: 503, code: 'SlowDown' } }]);
    await stores.raw.putStream('blob.bin', Readable.from([body]), { contentLength: body.length }); // buffered: retryable
    expect(faults.hits('slow')).toBe(1);
    const expected = createHash('sha256').update(body).digest('hex');
    faults.set([{ name: 'reset', service: 's3', operations: ['GetObject'], from: 1, to: 3, fault: { kind: 'body-reset', afterBytes: 150_000 } }]);
    const hash = createHash('sha256');
    for await (const chunk of await stores.raw.get('blob.bin')) hash.update(chunk);
    expect(hash.digest('hex')).toBe(expected);
    expect(faults.hits('reset')).toBe(3);
  });

  test('a crash: the request and every later one from the container never complete', async () => {
    faults.set([{ name: 'crash', service: 'dynamodb', operations: ['GetItem'], fault: { kind: 'crash' } }]);
    const pending = Promise.race([getItem().then(() => 'completed'), new Promise((r) => setTimeout(() => r('pending'), 300))]);
    expect(await pending).toBe('pending');
    expect(container.dead).toBe(true);
    faults.clear();
    const later = Promise.race([stores.raw.exists('blob.bin').then(() => 'completed'), new Promise((r) => setTimeout(() => r('pending'), 300))]);
    expect(await later).toBe('pending');
  });
});
