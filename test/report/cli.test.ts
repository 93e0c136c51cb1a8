/** `segments report`: option errors are usage errors, and a stability file is checked before it is used. */
import { parseStability, reportCommand } from '../../lambdas/cli/commands/report';
import { UsageError } from '../../lambdas/cli/errors';
import { handStability } from './fixtures';

test('missing or conflicting options are usage errors, before any work', async () => {
  await expect(reportCommand(['--data', 'x'])).rejects.toThrow(/missing --out/);
  await expect(reportCommand(['--out', 'x'])).rejects.toThrow(/missing --data/);
  await expect(reportCommand(['--data', 'x', '--out', 'y', '--stability', 'a.json', '--with-simulation'])).rejects.toBeInstanceOf(UsageError);
  await expect(reportCommand(['--data', 'x', '--out', 'y', '--stability', '/nonexistent/stability.json'])).rejects.toThrow(/no such file/);
  await expect(reportCommand(['--data', 'x', '--out', 'y', '--k', '1'])).rejects.toThrow(/--k expects an integer/);
  await expect(reportCommand(['--data', 'x', '--out', 'y', '--bogus'])).rejects.toBeInstanceOf(UsageError);
});

test('a stability.json is accepted only with the fields the maintenance page needs', () => {
  const good = handStability();
  expect(parseStability(JSON.stringify(good), 'stability.json')).toEqual(good);
  expect(() => parseStability('{not json', 'f.json')).toThrow(/f.json: not JSON/);
  expect(() => parseStability(JSON.stringify({ points: [] }), 'f.json')).toThrow(/missing threshold, recommendation.everyDays/);
  expect(() => parseStability(JSON.stringify({ ...good, points: [{ days: 0 }] }), 'f.json')).toThrow(/points\[\]/);
});
