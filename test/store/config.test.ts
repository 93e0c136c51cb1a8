import { createStores, dynamoClientConfig, loadStoreConfig, s3ClientConfig } from '../../lambdas/store/config';
import { toDynamoNumber, marshallValue, unmarshallValue } from '../../lambdas/store/codec';

describe('config from the environment', () => {
  test('AWS: no endpoints, region from AWS_REGION, default credential chain', () => {
    const config = loadStoreConfig({ AWS_REGION: 'sa-east-1', RAW_BUCKET: 'raw', ARTIFACTS_BUCKET: 'art', TABLE_NAME: 't' });
    expect(config).toEqual({ region: 'sa-east-1', s3Endpoint: undefined, dynamoEndpoint: undefined, rawBucket: 'raw', artifactsBucket: 'art', tableName: 't', dynamoMaxAttempts: 6, retryMode: 'standard' });
    expect(s3ClientConfig(config)).toEqual({ region: 'sa-east-1' });
    expect(dynamoClientConfig(config)).toEqual({ region: 'sa-east-1', maxAttempts: 6, retryMode: 'standard' });
  });

  test('DynamoDB retries: AWS_MAX_ATTEMPTS and AWS_RETRY_MODE from the given environment', () => {
    const config = loadStoreConfig({ AWS_REGION: 'sa-east-1', AWS_MAX_ATTEMPTS: '3', AWS_RETRY_MODE: 'adaptive' });
    expect(dynamoClientConfig(config)).toEqual({ region: 'sa-east-1', maxAttempts: 3, retryMode: 'adaptive' });
    expect(() => loadStoreConfig({ AWS_MAX_ATTEMPTS: '0' })).toThrow(/AWS_MAX_ATTEMPTS=0 must be a positive integer/);
  });

  test('local: endpoints, dummy credentials, us-east-1, path style, checksums when required', () => {
    const config = loadStoreConfig({
      AWS_REGION: 'sa-east-1',
      SEGMENTS_S3_ENDPOINT: 'http://127.0.0.1:4569',
      SEGMENTS_DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567',
      TABLE_NAME: 't',
    });
    expect(config.region).toBe('us-east-1');
    expect(s3ClientConfig(config)).toEqual({
      endpoint: 'http://127.0.0.1:4569',
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    expect(dynamoClientConfig(config)).toEqual({
      endpoint: 'http://127.0.0.1:4567',
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      maxAttempts: 6,
      retryMode: 'standard',
    });
  });

  test('local endpoints must be loopback', () => {
    expect(() => loadStoreConfig({ SEGMENTS_S3_ENDPOINT: 'http://10.0.0.5:4569' })).toThrow(/loopback/);
    expect(() => loadStoreConfig({ SEGMENTS_DYNAMODB_ENDPOINT: 'not a url' })).toThrow(/not a URL/);
    expect(() => loadStoreConfig({ SEGMENTS_DYNAMODB_ENDPOINT: 'http://localhost:8000' })).not.toThrow();
  });

  test('a store whose variable is missing fails with the variable name, on use', () => {
    const stores = createStores({ SEGMENTS_S3_ENDPOINT: 'http://127.0.0.1:1', SEGMENTS_DYNAMODB_ENDPOINT: 'http://127.0.0.1:2' });
    expect(() => stores.raw).toThrow('environment variable RAW_BUCKET is not set');
    expect(() => stores.segments).toThrow('environment variable TABLE_NAME is not set');
    stores.s3.destroy();
    stores.dynamo.destroy();
  });
});

describe('number codec', () => {
  test.each([
    [0.1 + 0.2, '0.30000000000000004'],
    [1e-7, '0.0000001'],
    [-2.5e-5, '-0.000025'],
    [1e21, '1000000000000000000000'],
    [1.5e21, '1500000000000000000000'],
    [123.456, '123.456'],
    [2 ** 53 + 2, '9007199254740994'],
    [0, '0'],
  ])('%p -> %s and back exactly', (n, s) => {
    expect(toDynamoNumber(n)).toBe(s);
    expect(Object.is(unmarshallValue(marshallValue(n)), n)).toBe(true);
  });

  test('values DynamoDB cannot hold are refused with their path', () => {
    expect(() => marshallValue({ a: [1, Number.NaN] }, 'x')).toThrow('cannot store x.a[1] in DynamoDB: NaN is not a finite number');
    expect(() => toDynamoNumber(Infinity)).toThrow(/not a finite number/);
    expect(() => toDynamoNumber(5e-324)).toThrow(/outside DynamoDB's number range/);
    expect(() => toDynamoNumber(1e126)).toThrow(/outside/);
  });
});
