/**
 * Where the pool finds its worker (sources through tsx, or the bundle's kmeans-worker.js) and the threads limit a
 * Lambda handler sets from KMEANS_THREADS. That the bundled worker really starts and computes: test/infra
 * (segmentation-stack.test.ts, "bundles").
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { availableCores, BUNDLED_WORKER, entryPoint, idleCores, limitThreads } from '../../../lambdas/core/cluster/workerPool';
import { threadsFromEnv } from '../../../lambdas/handlers/runtime';

const SOURCES = path.join(__dirname, '..', '..', '..', 'lambdas', 'core', 'cluster');

describe('entryPoint', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kmeans-worker-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('beside the sources: kmeansWorker.ts through tsx', () => {
    expect(entryPoint(SOURCES)).toEqual({ entry: path.join(SOURCES, 'kmeansWorker.ts'), loader: require.resolve('tsx/cjs') });
    expect(entryPoint()).toEqual(entryPoint(SOURCES));
  });

  test('beside a bundle: kmeans-worker.js, no loader; nothing: undefined', () => {
    expect(entryPoint(dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, BUNDLED_WORKER), '');
    expect(entryPoint(dir)).toEqual({ entry: path.join(dir, 'kmeans-worker.js') });
  });
});

describe('limitThreads', () => {
  afterEach(() => limitThreads('auto'));

  test("replaces the load-average estimate of threads: 'auto', capped by the visible cores", () => {
    limitThreads(1);
    expect(idleCores()).toBe(1);
    limitThreads(64);
    expect(idleCores()).toBe(availableCores());
    expect(() => limitThreads(0)).toThrow(/positive integer or 'auto', got 0/);
    expect(() => limitThreads(1.5)).toThrow(/got 1.5/);
  });

  test('KMEANS_THREADS: unset, empty or auto -> auto; a positive integer; anything else names the variable', () => {
    expect([undefined, '', 'auto'].map((v) => threadsFromEnv({ KMEANS_THREADS: v }))).toEqual(['auto', 'auto', 'auto']);
    expect(threadsFromEnv({ KMEANS_THREADS: '2' })).toBe(2);
    for (const bad of ['0', '-1', '1.5', 'two']) expect(() => threadsFromEnv({ KMEANS_THREADS: bad })).toThrow(`KMEANS_THREADS=${bad} is not 'auto' or a positive integer`);
  });
});
