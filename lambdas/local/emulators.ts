/**
 * The AWS services of the stack, emulated in-process on 127.0.0.1: s3rver (S3) and dynalite (DynamoDB),
 * with their state in a local folder (`.local/` by default) so that a second start reuses it.
 * Creates the raw and artifacts buckets and the segment table (same key schema and GSI as the stack,
 * from lambdas/store/table-schema.ts) if they do not exist yet.
 *
 * s3rver emits S3 events in-process only and ignores notification filters: onObjectCreated() delivers
 * ObjectCreated events shaped like AWS's (keys URL-encoded as AWS does), filtered here by bucket/prefix/suffix.
 *
 * Standalone: `npx tsx lambdas/local/emulators.ts [dir]` starts the emulators alone (no functions) and prints the
 * environment to use; `segments start --serve` runs the whole stack (lambdas/local/serve.ts).
 */
import crypto from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import S3rver from 's3rver';
import dynalite from 'dynalite';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, ENV } from '../store/config';
import { encodeS3EventKey } from '../store/s3-event-key';
import { createTableInput, SEGMENT_TABLE_SCHEMA } from '../store/table-schema';
import { describeTable, migratingName, rebuildWithSchema, waitActive } from './table-migration';

/**
 * s3rver signs ListObjectsV2 continuation tokens with single DES (`createCipheriv('des', key8, iv)`), which OpenSSL 3
 * (Node >= 17) no longer provides: every truncated V2 listing (`aws s3 ls`/`sync` over 1,000 keys, any `--page-size`)
 * fails with a 500. The cipher is private to s3rver's bucket controller, so the narrowest fix is here: 'des' requests
 * only are served by triple DES with the 8-byte key repeated three times, which is single DES exactly (E_K(D_K(E_K(x)))
 * = E_K(x)), with the same block size and token format. Everything else passes through untouched. Chosen over a proxy
 * in front of s3rver (it would have to rewrite signed query strings, breaking SigV4) and over patching node_modules
 * (lost on every `npm ci`). test/store/emulators.test.ts pages V2 listings with the SDK, serve.test.ts with the AWS CLI.
 */
function serveS3rverDesWithTripleDes(): void {
  const patched = Symbol.for('olist-segments.s3rver-des');
  const c = crypto as unknown as Record<string | symbol, unknown>;
  if (c[patched]) return;
  const asTripleDes = <F extends (algorithm: string, key: Buffer, iv: Buffer | null, options?: any) => any>(original: F): F =>
    ((algorithm: string, key: Buffer, iv: Buffer | null, options?: any) =>
      algorithm.toLowerCase() === 'des' && Buffer.isBuffer(key) && key.length === 8
        ? original('des-ede3-cbc', Buffer.concat([key, key, key]), iv, options)
        : original(algorithm, key, iv, options)) as F;
  c.createCipheriv = asTripleDes(crypto.createCipheriv as never);
  c.createDecipheriv = asTripleDes(crypto.createDecipheriv as never);
  c[patched] = true;
}
serveS3rverDesWithTripleDes();

export const DEFAULT_LOCAL_NAMES = {
  rawBucket: 'olist-segments-raw',
  artifactsBucket: 'olist-segments-artifacts',
  tableName: 'olist-segments',
} as const;

export interface EmulatorOptions {
  /** State folder (default `.local` under the current directory): `<dir>/s3` for s3rver, `<dir>/dynamodb` (LevelDB) for dynalite. */
  dir?: string;
  /** 0 (default): an ephemeral port. */
  s3Port?: number;
  dynamoPort?: number;
  rawBucket?: string;
  artifactsBucket?: string;
  tableName?: string;
  /** Keep DynamoDB state in memory only (faster; nothing survives stop()). Default false. */
  inMemoryDynamo?: boolean;
  /** Emulator request logging (default false). */
  verbose?: boolean;
}

/** The subset of an AWS S3 notification record that handlers use. */
export interface S3EventRecord {
  eventVersion: string;
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: string;
  s3: {
    s3SchemaVersion: string;
    configurationId: string;
    bucket: { name: string; arn: string };
    /** key is URL-encoded, as in AWS notifications (decode with decodeS3EventKey). */
    object: { key: string; size?: number; eTag?: string; sequencer: string };
  };
}

export interface S3Event {
  Records: S3EventRecord[];
}

export interface ObjectCreatedFilter {
  bucket?: string;
  /** Applied to the raw (decoded) key, like an S3 notification prefix filter. */
  prefix?: string;
  suffix?: string;
}

export type ObjectCreatedListener = (event: S3Event) => void | Promise<void>;

export interface Emulators {
  dir: string;
  s3Endpoint: string;
  dynamoEndpoint: string;
  rawBucket: string;
  artifactsBucket: string;
  tableName: string;
  /** Environment for lambdas/store/config.ts (endpoints, bucket and table names). */
  env: Record<string, string>;
  /** Subscribe to ObjectCreated events (one record per event, like S3 notifications). Returns an unsubscribe function. */
  onObjectCreated(
    listener: ObjectCreatedListener,
    filter?: ObjectCreatedFilter,
    onError?: (error: unknown, event: S3Event) => void,
  ): () => void;
  /** Resolves when no listener invocation is running (including ones triggered by listeners' own uploads). */
  drain(): Promise<void>;
  /** Stops both servers (waiting for running listeners first); state stays in dir. */
  stop(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections?.();
  });
}

/**
 * Creates the segment table if missing (and waits until ACTIVE); checks an existing one has the expected keys. A table
 * made before an index of the schema existed is rebuilt with it, its items kept (table-migration.ts).
 */
export async function ensureSegmentTable(client: DynamoDBClient, tableName: string): Promise<void> {
  // An interrupted rebuild left the items in the copy: finish it first.
  if (await describeTable(client, migratingName(tableName))) await rebuildWithSchema(client, tableName);
  const table = await describeTable(client, tableName);
  if (!table) {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (err) {
      if (!(err instanceof ResourceInUseException) && (err as Error).name !== 'ResourceInUseException') throw err;
    }
  } else {
    const keysOf = (schema?: { AttributeName?: string; KeyType?: string }[]) => (schema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
    const keys = keysOf(table.KeySchema);
    const wrong: string[] = [];
    if (keys !== `${SEGMENT_TABLE_SCHEMA.partitionKey.name}:HASH,${SEGMENT_TABLE_SCHEMA.sortKey.name}:RANGE`) wrong.push(`keys ${keys}`);
    let missing = false;
    for (const expected of SEGMENT_TABLE_SCHEMA.globalSecondaryIndexes) {
      const gsi = table.GlobalSecondaryIndexes?.find((g) => g.IndexName === expected.indexName);
      if (!gsi) missing = true;
      else if (keysOf(gsi.KeySchema) !== `${expected.partitionKey.name}:HASH,${expected.sortKey.name}:RANGE`) wrong.push(`${expected.indexName} ${keysOf(gsi.KeySchema)}`);
    }
    if (wrong.length) throw new Error(`table ${tableName} exists with a different schema (${wrong.join('; ')}); delete the local state folder to recreate it`);
    if (missing) await rebuildWithSchema(client, tableName);
  }
  await waitActive(client, tableName);
}

const LOCK_FILE = 'emulators.lock';

/** Whether a process with this id exists (ours or another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One emulator pair per state folder: dynalite's LevelDB cannot be opened twice, and dynalite does not report it. */
async function lockStateDir(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK_FILE);
  const token = `${process.pid} ${Date.now()} ${Math.random()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, token, { flag: 'wx' });
      return async () => {
        if ((await readFile(file, 'utf8').catch(() => '')) === token) await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).split(' ')[0]);
      if (owner && processAlive(owner)) {
        throw new Error(`the state folder ${dir} is locked: is another emulator running on this folder? (pid ${owner}, ${file})`);
      }
      await rm(file, { force: true }); // stale lock of a process that is gone
    }
  }
  throw new Error(`could not lock the state folder ${dir}`);
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const dir = path.resolve(options.dir ?? '.local');
  const rawBucket = options.rawBucket ?? DEFAULT_LOCAL_NAMES.rawBucket;
  const artifactsBucket = options.artifactsBucket ?? DEFAULT_LOCAL_NAMES.artifactsBucket;
  const tableName = options.tableName ?? DEFAULT_LOCAL_NAMES.tableName;
  await mkdir(path.join(dir, 's3'), { recursive: true });
  if (!options.inMemoryDynamo) await mkdir(path.join(dir, 'dynamodb'), { recursive: true });
  const unlock = await lockStateDir(dir);
  try {
    return await startLocked(dir, options, rawBucket, artifactsBucket, tableName, unlock);
  } catch (err) {
    await unlock();
    throw err;
  }
}

async function startLocked(
  dir: string,
  options: EmulatorOptions,
  rawBucket: string,
  artifactsBucket: string,
  tableName: string,
  unlock: () => Promise<void>,
): Promise<Emulators> {

  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: options.s3Port ?? 0,
    directory: path.join(dir, 's3'),
    silent: !options.verbose,
    configureBuckets: [{ name: rawBucket }, { name: artifactsBucket }],
  });
  // Not s3rver.run(): it never hears its own listen error (e.g. a port in use), which then crashes the process as an
  // unhandled 'error' event. The same steps, with the error handled.
  await s3rver.configureBuckets();
  const s3Server = await new Promise<Server>((resolve, reject) => {
    const server = s3rver.listen(options.s3Port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
    server.once('error', reject);
  });
  s3rver.httpServer = s3Server; // what s3rver.close() closes
  const s3Address = s3Server.address() as AddressInfo;

  const dynamo = dynalite({
    path: options.inMemoryDynamo ? undefined : path.join(dir, 'dynamodb'),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    verbose: options.verbose,
  });
  let dynamoPort: number;
  try {
    dynamoPort = await listen(dynamo, options.dynamoPort ?? 0);
  } catch (err) {
    await s3rver.close();
    throw err;
  }

  const s3Endpoint = `http://127.0.0.1:${s3Address.port}`;
  const dynamoEndpoint = `http://127.0.0.1:${dynamoPort}`;
  const stopServers = async () => {
    await Promise.allSettled([s3rver.close(), closeServer(dynamo)]);
  };

  const admin = createDynamoClient({ dynamoEndpoint });
  try {
    await ensureSegmentTable(admin, tableName);
  } catch (err) {
    await stopServers();
    throw err;
  } finally {
    admin.destroy();
  }

  // Event fan-out with in-flight tracking (so that tests and the local runtime can wait for handlers).
  const inFlight = new Set<Promise<void>>();
  const subscriptions = new Set<(event: { Records: any[] }) => void>();
  const onObjectCreated: Emulators['onObjectCreated'] = (listener, filter = {}, onError) => {
    const handle = (raw: { Records: any[] }) => {
      for (const record of raw.Records ?? []) {
        if (!String(record.eventName).startsWith('ObjectCreated:')) continue;
        const bucket: string = record.s3.bucket.name;
        const key: string = record.s3.object.key;
        if (filter.bucket && filter.bucket !== bucket) continue;
        if (filter.prefix && !key.startsWith(filter.prefix)) continue;
        if (filter.suffix && !key.endsWith(filter.suffix)) continue;
        const event: S3Event = {
          Records: [
            {
              eventVersion: '2.1',
              eventSource: 'aws:s3',
              awsRegion: 'us-east-1',
              eventTime: record.eventTime,
              eventName: record.eventName,
              s3: {
                s3SchemaVersion: '1.0',
                configurationId: 'local',
                bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
                object: { key: encodeS3EventKey(key), size: record.s3.object.size, eTag: record.s3.object.eTag, sequencer: record.s3.object.sequencer },
              },
            },
          ],
        };
        // Deliver asynchronously (like S3): never inside the PUT request that caused it.
        const run: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
          .then(() => listener(event))
          .catch((err) => (onError ? onError(err, event) : console.error(`[local] handler for s3://${bucket}/${key} failed:`, err)))
          .finally(() => inFlight.delete(run));
        inFlight.add(run);
      }
    };
    s3rver.on('event', handle);
    subscriptions.add(handle);
    return () => {
      s3rver.off('event', handle);
      subscriptions.delete(handle);
    };
  };

  const drain = async () => {
    while (inFlight.size) await Promise.allSettled([...inFlight]);
  };

  let stopped = false;
  return {
    dir,
    s3Endpoint,
    dynamoEndpoint,
    rawBucket,
    artifactsBucket,
    tableName,
    env: {
      [ENV.s3Endpoint]: s3Endpoint,
      [ENV.dynamoEndpoint]: dynamoEndpoint,
      [ENV.rawBucket]: rawBucket,
      [ENV.artifactsBucket]: artifactsBucket,
      [ENV.tableName]: tableName,
    },
    onObjectCreated,
    drain,
    async stop() {
      if (stopped) return;
      stopped = true;
      await drain();
      for (const handle of subscriptions) s3rver.off('event', handle);
      subscriptions.clear();
      await stopServers();
      await unlock();
    },
  };
}

if (require.main === module) {
  startEmulators({ dir: process.argv[2] }).then(
    (emulators) => {
      console.log(`# emulators running (state in ${emulators.dir}); Ctrl-C to stop`);
      for (const [k, v] of Object.entries(emulators.env)) console.log(`export ${k}=${v}`);
      const stop = () => emulators.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
