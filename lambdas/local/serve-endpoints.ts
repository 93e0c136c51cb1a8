/**
 * `<state>/endpoints.json`: how to reach a local stack started with `segments start --serve`, for people (the same values
 * as the printed `export` lines) and programs (the `segments` read commands attach to it instead of opening the state
 * folder, which the running stack holds). Written when the stack is up, removed when it stops.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../store/config';
import { processAlive } from './emulators';

export interface ServeEndpoints {
  s3Endpoint: string;
  dynamoEndpoint: string;
  /** The local EventBridge endpoint (PutEvents only). */
  eventsEndpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  rawBucket: string;
  artifactsBucket: string;
  tableName: string;
  /** Every event the stack publishes, one JSON object per line. */
  eventsLog: string;
  /** The serving process, and when it started. */
  pid: number;
  startedAt: string;
}

export const endpointsFile = (state: string) => path.join(path.resolve(state), 'endpoints.json');

export function serveEndpoints(names: Omit<ServeEndpoints, 'region' | 'accessKeyId' | 'secretAccessKey' | 'pid' | 'startedAt'>): ServeEndpoints {
  // Not a spread of LOCAL_CREDENTIALS: the SDK annotates the credential objects it is given.
  const { accessKeyId, secretAccessKey } = LOCAL_CREDENTIALS;
  return { ...names, region: LOCAL_REGION, accessKeyId, secretAccessKey, pid: process.pid, startedAt: new Date().toISOString() };
}

export async function writeEndpoints(state: string, endpoints: ServeEndpoints): Promise<string> {
  const file = endpointsFile(state);
  await writeFile(`${file}.tmp`, JSON.stringify(endpoints, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
  return file;
}

export async function removeEndpoints(state: string): Promise<void> {
  const file = endpointsFile(state);
  // Only our own file: a newer serve on the same folder may have replaced it.
  if (readEndpoints(file)?.pid === process.pid) await rm(file, { force: true });
}

function readEndpoints(file: string): ServeEndpoints | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServeEndpoints;
  } catch {
    return undefined;
  }
}

/** The endpoints of the stack serving this state folder, if one is running (a file left by a dead process is ignored). */
export function runningLocalStack(state: string): ServeEndpoints | undefined {
  const endpoints = readEndpoints(endpointsFile(state));
  return endpoints && processAlive(endpoints.pid) ? endpoints : undefined;
}

/** The `export` lines for a shell: the AWS CLI, boto3 and the AWS SDKs, and the `segments` command. */
export function exportLines(e: ServeEndpoints): string[] {
  return [
    `export AWS_ENDPOINT_URL_S3=${e.s3Endpoint}`,
    `export AWS_ENDPOINT_URL_DYNAMODB=${e.dynamoEndpoint}`,
    `export AWS_ACCESS_KEY_ID=${e.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${e.secretAccessKey}`,
    `export AWS_REGION=${e.region}`,
    `export AWS_DEFAULT_REGION=${e.region}`,
    // s3rver cannot read the aws-chunked checksum trailers that newer SDKs and CLIs add to uploads by default.
    'export AWS_REQUEST_CHECKSUM_CALCULATION=when_required',
    'export AWS_RESPONSE_CHECKSUM_VALIDATION=when_required',
    `export SEGMENTS_S3_ENDPOINT=${e.s3Endpoint}`,
    `export SEGMENTS_DYNAMODB_ENDPOINT=${e.dynamoEndpoint}`,
    `export RAW_BUCKET=${e.rawBucket}`,
    `export ARTIFACTS_BUCKET=${e.artifactsBucket}`,
    `export TABLE_NAME=${e.tableName}`,
  ];
}
