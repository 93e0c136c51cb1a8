import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { kernelsAreGenerated } from '../../../lambdas/core/cluster/kernels';
import { kmeans } from '../../../lambdas/core/cluster/kmeans';
import { silhouette } from '../../../lambdas/core/cluster/metrics';
import { fromRows } from '../../../lambdas/core/util/matrix';

describe('generated distance loops', () => {
  test('used for 1..32 features unless asked for the generic ones', () => {
    expect(kernelsAreGenerated(1)).toBe(true);
    expect(kernelsAreGenerated(32)).toBe(true);
    expect(kernelsAreGenerated(33)).toBe(false);
    expect(kernelsAreGenerated(9, 'generic')).toBe(false);
    expect(kernelsAreGenerated(40, 'generated')).toBe(true);
    expect(() => kernelsAreGenerated(0)).toThrow(/positive integer/);
  });

  test('a runtime without code generation from strings falls back to the generic loops, same results', () => {
    const X = fromRows([[0, 0], [0, 1], [10, 10], [10, 11], [20, 0], [21, 0]]);
    const here = kmeans(X, 3, { seed: 1 });
    const child = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', join(__dirname, 'fixtures', 'noCodegen.ts')], {
      encoding: 'utf8',
      cwd: join(__dirname, '..', '..', '..'),
    });
    expect(child.stderr).toBe('');
    const out = JSON.parse(child.stdout) as { generated: boolean; inertia: number; silhouette: number };
    expect(out.generated).toBe(false);
    expect(out.inertia).toBe(here.inertia);
    expect(out.silhouette).toBeCloseTo(silhouette(X, here.labels, 3), 12);
  });
});
