/**
 * Clients and stores from the environment. One code path for AWS and the local emulators:
 * - AWS (no endpoint variables): default credential chain and region (AWS_REGION, set by Lambda).
 * - Local: SEGMENTS_S3_ENDPOINT / SEGMENTS_DYNAMODB_ENDPOINT / SEGMENTS_EVENTS_ENDPOINT point at s3rver / dynalite /
 *   the local event bus on the loopback interface; fixed dummy credentials (s3rver's S3RVER/S3RVER), region us-east-1, path-style S3 URLs and
 *   checksums only when required (s3rver mangles aws-chunked uploads with trailing checksums).
 * Names used by the stack: RAW_BUCKET, ARTIFACTS_BUCKET, TABLE_NAME.
 */
import { PersonalDataStore } from './personal-data';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient, EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import { S3BlobStore } from './s3-blob-store';
import { STORE_ENV } from '../contract/env';
import { createSegmentStore } from './dynamo-segment-store';
import type { BlobStore } from './blob-store';
import type { SegmentStore } from './segment-store';

/** The store's environment variables: the contract's names (lambdas/contract/env.ts), shared with the stack. */
export const ENV = STORE_ENV;

export const LOCAL_REGION = 'us-east-1';
/** s3rver accepts exactly this key pair; dynalite accepts anything. Never real credentials. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface StoreConfig {
  /** undefined: AWS (region from the SDK's default chain). */
  region?: string;
  s3Endpoint?: string;
  dynamoEndpoint?: string;
  eventsEndpoint?: string;
  rawBucket?: string;
  artifactsBucket?: string;
  tableName?: string;
  /** SDK retry attempts for DynamoDB calls (AWS_MAX_ATTEMPTS; default DYNAMODB_MAX_ATTEMPTS) and the mode (AWS_RETRY_MODE). */
  dynamoMaxAttempts?: number;
  retryMode?: 'standard' | 'adaptive';
}

/**
 * DynamoDB attempts per call (first included). The SDK's default (4) leaves single-item writes (run claims, model META,
 * the ACTIVE pointer) little room under throttling: 6 attempts with the SDK's throttling backoff (full jitter from
 * 1 s, doubling) wait up to ~31 s in total. Batch writes add their own UnprocessedItems loop (batch-writer.ts).
 */
export const DYNAMODB_MAX_ATTEMPTS = 6;

type Env = Record<string, string | undefined>;

/** Local endpoints must be loopback URLs: the dummy credentials are never sent anywhere else. */
export function assertLoopbackEndpoint(name: string, endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`${name}=${endpoint} is not a URL (expected e.g. http://127.0.0.1:4569)`);
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || !['http:', 'https:'].includes(url.protocol)) {
    throw new Error(`${name}=${endpoint}: local endpoints must be http(s) on the loopback interface (127.0.0.1)`);
  }
}

export function loadStoreConfig(env: Env = process.env): StoreConfig {
  const s3Endpoint = env[ENV.s3Endpoint] || undefined;
  const dynamoEndpoint = env[ENV.dynamoEndpoint] || undefined;
  const eventsEndpoint = env[ENV.eventsEndpoint] || undefined;
  if (s3Endpoint) assertLoopbackEndpoint(ENV.s3Endpoint, s3Endpoint);
  if (dynamoEndpoint) assertLoopbackEndpoint(ENV.dynamoEndpoint, dynamoEndpoint);
  if (eventsEndpoint) assertLoopbackEndpoint(ENV.eventsEndpoint, eventsEndpoint);
  return {
    region: s3Endpoint || dynamoEndpoint || eventsEndpoint ? LOCAL_REGION : env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    s3Endpoint,
    dynamoEndpoint,
    eventsEndpoint,
    rawBucket: env[ENV.rawBucket] || undefined,
    artifactsBucket: env[ENV.artifactsBucket] || undefined,
    tableName: env[ENV.tableName] || undefined,
    dynamoMaxAttempts: positiveInt(env, 'AWS_MAX_ATTEMPTS') ?? DYNAMODB_MAX_ATTEMPTS,
    retryMode: env.AWS_RETRY_MODE === 'adaptive' ? 'adaptive' : 'standard',
  };
}

function positiveInt(env: Env, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`environment variable ${name}=${v} must be a positive integer`);
  return n;
}

export function s3ClientConfig(config: StoreConfig): S3ClientConfig {
  if (!config.s3Endpoint) return config.region ? { region: config.region } : {};
  return {
    endpoint: config.s3Endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

export function dynamoClientConfig(config: StoreConfig): DynamoDBClientConfig {
  const retry: DynamoDBClientConfig = {
    ...(config.dynamoMaxAttempts !== undefined ? { maxAttempts: config.dynamoMaxAttempts } : {}),
    ...(config.retryMode ? { retryMode: config.retryMode } : {}),
  };
  if (!config.dynamoEndpoint) return config.region ? { region: config.region, ...retry } : retry;
  return { endpoint: config.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, ...retry };
}

export function eventsClientConfig(config: StoreConfig): EventBridgeClientConfig {
  if (!config.eventsEndpoint) return config.region ? { region: config.region } : {};
  return { endpoint: config.eventsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
}

export function createS3Client(config: StoreConfig = loadStoreConfig()): S3Client {
  return new S3Client(s3ClientConfig(config));
}

export function createDynamoClient(config: StoreConfig = loadStoreConfig()): DynamoDBClient {
  return new DynamoDBClient(dynamoClientConfig(config));
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export interface Stores {
  config: StoreConfig;
  s3: S3Client;
  dynamo: DynamoDBClient;
  /** Lazily checked: throws on first access if RAW_BUCKET is not set. */
  readonly raw: BlobStore;
  readonly artifacts: BlobStore;
  readonly segments: SegmentStore;
  /** The suppression list and the erasure of a person's items (lambdas/store/personal-data.ts). */
  readonly personalData: PersonalDataStore;
}

export interface ClientHooks {
  /** Called with each new client before use: extra middleware (e.g. the fault injector of lambdas/local/faults.ts). */
  s3?: (client: S3Client) => void;
  dynamo?: (client: DynamoDBClient) => void;
  /** The EventBridge client of lambdas/handlers/runtime.ts (created there, on first use). */
  events?: (client: EventBridgeClient) => void;
}

/** The stores a handler needs, from the environment. Accessing a store whose variable is unset throws a clear error. */
export function createStores(env: Env = process.env, hooks: ClientHooks = {}): Stores {
  const config = loadStoreConfig(env);
  const s3 = createS3Client(config);
  const dynamo = createDynamoClient(config);
  hooks.s3?.(s3);
  hooks.dynamo?.(dynamo);
  let raw: BlobStore | undefined;
  let artifacts: BlobStore | undefined;
  let segments: SegmentStore | undefined;
  let personalData: PersonalDataStore | undefined;
  return {
    config,
    s3,
    dynamo,
    get raw() {
      return (raw ??= new S3BlobStore(s3, required(config.rawBucket, ENV.rawBucket)));
    },
    get artifacts() {
      return (artifacts ??= new S3BlobStore(s3, required(config.artifactsBucket, ENV.artifactsBucket)));
    },
    get segments() {
      return (segments ??= createSegmentStore({ client: dynamo, tableName: required(config.tableName, ENV.tableName) }));
    },
    get personalData() {
      return (personalData ??= new PersonalDataStore(dynamo, required(config.tableName, ENV.tableName)));
    },
  };
}
