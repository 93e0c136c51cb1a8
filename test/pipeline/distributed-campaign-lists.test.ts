/**
 * The distributed path's campaign lists (lambdas/pipeline/distributed/campaign-lists.ts) against the single path's
 * writer (lambdas/pipeline/exports.ts writeCampaignLists), on hostile rows: names and actions that need quoting and
 * formula neutralisation, ids that start with '-', many ties in spend (the order falls back on the id), partitions of
 * uneven sizes and one without any member of a segment. Every list must come out byte for byte the same, the manifest
 * alike (but its time); a part out of order or a missing part is an error, never a silently different list.
 */
import { Readable } from 'node:stream';
import type { CampaignManifest } from '../../lambdas/core/model/campaignList';
import type { CustomerAssignment, SegmentModel } from '../../lambdas/core/domain/types';
import { joinCampaignLists, writeCampaignParts } from '../../lambdas/pipeline/distributed/campaign-lists';
import { writeCampaignLists } from '../../lambdas/pipeline/exports';

/** The BlobStore calls the lists use, in memory. */
class MemoryStore {
  readonly bucket = 'memory';
  readonly objects = new Map<string, Buffer>();
  async get(key: string): Promise<Readable> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new Error(`no object ${key}`);
    // Small chunks: records, quoted fields and multi-byte characters straddle them.
    return Readable.from(Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7)));
  }
  async putStream(key: string, body: Readable) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
    this.objects.set(key, Buffer.concat(chunks));
    return { key, etag: '' };
  }
  async putJson(key: string, value: unknown) {
    this.objects.set(key, Buffer.from(JSON.stringify(value)));
    return { key, etag: '' };
  }
}

const segments = [
  { id: 0, kind: 'cluster', name: 'Loyal, "high" spenders', action: '=HYPERLINK("x") then\na line break' },
  { id: 1, kind: 'cluster', name: '+Recent buyers', action: 'Thank them — obrigado' },
  { id: 2, kind: 'cluster', name: 'Never in a partition', action: 'none' },
  { id: 100, kind: 'rule', name: 'Order overdue', action: '@service recovery' },
];
const model = { version: 'v-test', asOf: '2018-09-01T00:00:00.000Z', segments } as unknown as SegmentModel;

function person(i: number): CustomerAssignment {
  const segmentId = [0, 1, 100][i % 3];
  const rule = segmentId === 100;
  return {
    customerId: `${i % 5 === 0 ? '-' : ''}c${(i * 7919) % 1000}-${i}`,
    segmentId,
    segmentName: segments.find((s) => s.id === segmentId)!.name,
    // Few distinct spends: many ties, broken by the id.
    features: { recencyDays: i % 400, frequency: 1 + (i % 3), monetary: [10, 99.995, 250.5, 10.004][i % 4], reviewScore: i % 6 === 0 ? NaN : 1 + (i % 5), deliveryDelayDays: 0, installments: 1, categories: 1, freightShare: 0.1 } as unknown as CustomerAssignment['features'],
    reasons: [],
    runnerUp: rule ? null : (segmentId + 1) % 2,
    margin: rule ? null : Math.round(((i % 97) / 97) * 1e4) / 1e4,
  } as CustomerAssignment;
}

const people = Array.from({ length: 1500 }, (_, i) => person(i));
/** Uneven partitions; the last holds only rule segment people. */
const partitions = [people.slice(0, 700), people.slice(700, 710), people.slice(710, 1400), people.slice(1400).filter((a) => a.segmentId === 100)];
const everyone = partitions.flat();
const partKey = (segmentId: number, p: number) => `work/run/exports/${segmentId}/p-${p}.csv`;

async function distributedLists(store: MemoryStore): Promise<{ manifest: CampaignManifest; parts: Map<number, string[]>; counts: Record<string, number> }> {
  const parts = new Map<number, string[]>();
  const counts: Record<string, number> = {};
  for (const [p, assignments] of partitions.entries()) {
    const rows = await writeCampaignParts(store, (s) => partKey(s, p), model, assignments);
    for (const [s, n] of Object.entries(rows)) {
      parts.set(Number(s), [...(parts.get(Number(s)) ?? []), partKey(Number(s), p)]);
      counts[s] = (counts[s] ?? 0) + n;
    }
  }
  const { manifest } = await joinCampaignLists(store, model, parts, counts);
  return { manifest, parts, counts };
}

test('merged from sorted partition parts, every list is byte for byte the single path writer’s', async () => {
  const single = new MemoryStore();
  const reference = await writeCampaignLists(single, model, everyone);
  const store = new MemoryStore();
  const { manifest, parts } = await distributedLists(store);
  expect(parts.has(2)).toBe(false);
  expect({ ...manifest, writtenAt: '' }).toEqual({ ...reference.manifest, writtenAt: '' });
  for (const f of manifest.files) expect([f.key, store.objects.get(f.key)!.toString('utf8')]).toEqual([f.key, single.objects.get(f.key)!.toString('utf8')]);
  expect(manifest.rows).toBe(everyone.length);
  // The hostile cells were written as the single path writes them (quoted, neutralised).
  expect(store.objects.get('exports/v-test/segment-0.csv')!.toString('utf8')).toContain(`"'=HYPERLINK(""x"") then\na line break"`);
});

test('a part out of order, or fewer rows than the writers counted, fails the merge', async () => {
  const store = new MemoryStore();
  const { parts, counts } = await distributedLists(store);
  await expect(joinCampaignLists(store, model, parts, { ...counts, 1: counts[1] + 1 })).rejects.toThrow(/segment 1 .*: (\d+) rows merged from its parts, \d+ assignments written/);
  // Segment 1's records are one line each (segment 0's action holds a line break).
  const key = parts.get(1)![0];
  const lines = store.objects.get(key)!.toString('utf8').split('\n');
  [lines[1], lines[2]] = [lines[2], lines[1]];
  store.objects.set(key, Buffer.from(lines.join('\n')));
  await expect(joinCampaignLists(store, model, parts, counts)).rejects.toThrow(new RegExp(`s3://memory/${key}: customer \\S+ is out of the campaign order`));
  // A damaged part names itself.
  store.objects.set(key, Buffer.from('monetary,customer_unique_id,record\n1,"a\n'));
  await expect(joinCampaignLists(store, model, parts, counts)).rejects.toThrow(new RegExp(`s3://memory/${key}: unreadable CSV`));
});
