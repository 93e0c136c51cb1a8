import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { CustomerAssignment, SegmentModel } from '../../lambdas/core/domain/types';
import { syntheticAssignments, syntheticModel, withSizes } from '../../lambdas/local/synthetic-segments';
import { SegmentsClient } from '../../lambdas/store/client';
import { createSegmentStore } from '../../lambdas/store/dynamo-segment-store';
import {
  ActivationRefusedError,
  InvalidCursorError,
  InvalidInputError,
  ModelNotFoundError,
  ModelStateError,
} from '../../lambdas/store/errors';
import { shardOf } from '../../lambdas/store/keys';
import type { SegmentStore, StoredAssignment, WriteProgress } from '../../lambdas/store/segment-store';
import { GSI2_NAME } from '../../lambdas/store/table-schema';
import { expectedOrder, startTestEnv, type TestEnv } from './helpers';

// Enough for several pages per segment and shard (pagination and cursors are what is tested here; scale is the bench's).
const N = 2500;
const K = 5;
const V1 = '20240101T000000Z-aaaa1111';
const V2 = '20240201T000000Z-bbbb2222';

/** Numbers whose decimal representations are awkward: they must come back bit-identical. */
const TRICKY = [0.1 + 0.2, 1 / 3, 1e-7, -2.5e-5, 123456789.12345679, 2 ** 53 - 1, 1e21, 4.35, 5e-100, -0.000001];

describe('SegmentStore on dynalite', () => {
  let env: TestEnv;
  let store: SegmentStore;
  let model1: SegmentModel;
  let model2: SegmentModel;
  let a1: CustomerAssignment[];
  let a2: CustomerAssignment[];

  beforeAll(async () => {
    env = await startTestEnv({ inMemoryDynamo: true });
    store = env.stores.segments;
    a1 = syntheticAssignments(N, { k: K, seed: 11 });
    // tricky numbers in features of the first customers
    TRICKY.forEach((x, i) => {
      a1[i].features.lateShare = x;
      a1[i].features.reviewScore = -x;
    });
    a1[3].features.monetary = 0; // zero spend sorts first
    model1 = withSizes(syntheticModel(V1, { k: K, customers: N, createdAt: '2024-01-01T00:00:00.000Z', seed: 1 }), a1);
    model1.centroids[0] = TRICKY.slice(0, 9);
    const previous = new Map(a1.map((a) => [a.customerId, a.segmentId]));
    a2 = syntheticAssignments(N, { k: K, seed: 22, previous, why: true });
    model2 = withSizes(syntheticModel(V2, { k: K, customers: N, createdAt: '2024-02-01T00:00:00.000Z', seed: 2 }), a2);
  });
  afterAll(() => env?.close());

  async function allMembers(segmentId: number, desc: boolean, limit: number, version?: string) {
    const pages: StoredAssignment[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listSegmentMembers(segmentId, { limit, cursor, bySpendDesc: desc, version });
      pages.push(page.items);
      cursor = page.cursor;
      if (pages.length > 1000) throw new Error('pagination does not terminate');
    } while (cursor);
    return pages;
  }

  test('empty table: no active model, empty reads', async () => {
    expect(await store.getActivePointer()).toBeUndefined();
    expect(await store.getActiveModel()).toBeUndefined();
    expect(await store.listSegments()).toEqual([]);
    expect(await store.getCustomer(a1[0].customerId)).toBeUndefined();
    expect(await store.listSegmentMembers(0)).toEqual({ version: undefined, segmentId: 0, items: [] });
    expect(await store.listModels()).toEqual([]);
    await expect(store.writeAssignments('no-such-version', a1.slice(0, 1))).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  test('draft: META + segments, exact numbers, status writing; activation refused before assignments', async () => {
    await store.putModelDraft(model1);
    const rec = await store.getModel(V1);
    expect(rec).toBeDefined();
    expect(rec!.status).toBe('writing');
    expect(rec!.assignmentsWritten).toBe(0);
    expect(rec!.expectedAssignments).toBe(N);
    expect(rec!.shards).toBe(8);
    expect(rec!.model).toEqual(model1); // deep equality: every number bit-identical
    expect(Object.is(rec!.model.centroids[0][0], 0.1 + 0.2)).toBe(true);
    expect(await store.listSegments(V1)).toEqual(model1.segments);
    await expect(store.activateModel(V1)).rejects.toThrow(new RegExp(`assignments written 0 of ${N}`));
  });

  test('a model whose segment ids are permuted (continuing a previous model) reads back in its own order: centroid rows stay with their segments', async () => {
    const base = syntheticModel('permuted-v', { k: K, customers: N, createdAt: '2024-01-15T00:00:00.000Z', seed: 3 });
    const clusters = base.segments.filter((s) => s.kind === 'cluster');
    const permuted = clusters.map((s, i) => ({ ...s, id: clusters[(i + 1) % clusters.length].id }));
    const model = { ...base, segments: [...permuted, ...base.segments.filter((s) => s.kind !== 'cluster')] };
    expect(model.segments.map((s) => s.id)).not.toEqual([...model.segments.map((s) => s.id)].sort((a, b) => a - b));
    await store.putModelDraft(model);
    const rec = await store.getModel('permuted-v');
    expect(rec!.model.segments.map((s) => s.id)).toEqual(model.segments.map((s) => s.id));
    expect(rec!.model).toEqual(model);
    await store.deleteModelVersion('permuted-v');
  });

  test('invalid assignments are refused before anything is written', async () => {
    const bad = structuredClone(a1.slice(0, 30));
    bad[29].features.recencyDays = Number.POSITIVE_INFINITY;
    await expect(store.writeAssignments(V1, bad)).rejects.toThrow(/feature recencyDays must be a finite number or NaN/);
    await expect(store.writeAssignments(V1, [a1[0], a1[0]])).rejects.toThrow(/duplicate customerId/);
    await expect(store.writeAssignments(V1, [{ ...a1[0], segmentId: 42 }])).rejects.toThrow(/segment 42 is not a segment/);
    await expect(store.writeAssignments(V1, [{ ...a1[0], features: { ...a1[0].features, monetary: -1 } }])).rejects.toBeInstanceOf(InvalidInputError);
    expect(await store.getCustomer(a1[0].customerId, { version: V1 })).toBeUndefined();
  });

  test('incomplete assignments: activation refused, pointer unchanged', async () => {
    const res = await store.writeAssignments(V1, a1.slice(0, N - 1));
    expect(res.written).toBe(N - 1);
    expect((await store.getModel(V1))!.assignmentsWritten).toBe(N - 1);
    const err = await store.activateModel(V1).catch((e) => e);
    expect(err).toBeInstanceOf(ActivationRefusedError);
    expect(err.message).toMatch(new RegExp(`assignments written ${N - 1} of ${N}`));
    expect(await store.getActivePointer()).toBeUndefined();
    expect((await store.getModel(V1))!.status).toBe('writing');
  });

  test('5,000 assignments written (re-run is idempotent), activated, readable', async () => {
    const progress: WriteProgress[] = [];
    const res = await store.writeAssignments(V1, a1, { concurrency: 6, onProgress: (p) => progress.push({ ...p }) });
    expect(res.written).toBe(N);
    expect(res.batches).toBe(N / 25);
    expect(progress).toHaveLength(N / 25);
    expect(progress.at(-1)).toMatchObject({ written: N, total: N, batches: N / 25 });
    expect(progress.map((p) => p.written)).toEqual([...progress.map((p) => p.written)].sort((x, y) => x - y));
    const counts: Record<string, number> = {};
    for (const a of a1) counts[a.segmentId] = (counts[a.segmentId] ?? 0) + 1;
    expect(res.segmentCounts).toEqual(counts);

    const pointer = await store.activateModel(V1);
    expect(pointer.version).toBe(V1);
    expect(pointer.previousVersion).toBeUndefined();
    expect(await store.getActivePointer()).toEqual(pointer);
    const active = await store.getActiveModel();
    expect(active!.record.status).toBe('active');
    expect(active!.record.assignmentsWritten).toBe(N);
    expect(active!.record.activatedAt).toBe(pointer.activatedAt);
    expect(active!.record.model).toEqual(model1);
    // activation is idempotent
    expect(await store.activateModel(V1)).toEqual(pointer);

    // exact round trip of every customer checked on a sample, and of all the tricky ones
    for (const a of [...a1.slice(0, TRICKY.length), a1[1234], a1[N - 1]]) {
      const got = await store.getCustomer(a.customerId);
      expect(got).toEqual({ ...a, version: V1, spend: a.features.monetary });
    }
    const t = await store.getCustomer(a1[0].customerId);
    expect(Object.is(t!.features.lateShare, 0.1 + 0.2)).toBe(true);
    expect(t!.previousSegmentId).toBeUndefined();
    expect(await store.getCustomer('not-a-customer')).toBeUndefined();

    expect(await store.listSegments()).toEqual(model1.segments);
    const models = await store.listModels();
    expect(models.map((m) => [m.version, m.status])).toEqual([[V1, 'active']]);
  });

  test('segment members: paginated across shards, spend order verified against a sort of the input', async () => {
    for (let segmentId = 0; segmentId < K; segmentId++) {
      const members = a1.filter((a) => a.segmentId === segmentId);
      for (const desc of [true, false]) {
        const limit = desc ? 37 : 250;
        const pages = await allMembers(segmentId, desc, limit);
        // every page full except the last; no empty last page
        pages.slice(0, -1).forEach((p) => expect(p).toHaveLength(limit));
        expect(pages.at(-1)!.length).toBeGreaterThan(0);
        expect(pages).toHaveLength(Math.ceil(members.length / limit));
        const ids = pages.flat().map((m) => m.customerId);
        expect(ids).toEqual(expectedOrder(members, desc));
        expect(pages.flat().every((m) => m.segmentId === segmentId && m.version === V1)).toBe(true);
        // pages really mix shards (the merge is exercised)
        expect(new Set(pages[0].map((m) => shardOf(m.customerId, 8))).size).toBeGreaterThan(3);
      }
    }
    // top spenders of segment 0 match the input's maxima
    const top = await store.listSegmentMembers(0, { limit: 5, bySpendDesc: true });
    const spends = a1.filter((a) => a.segmentId === 0).map((a) => a.features.monetary).sort((x, y) => y - x);
    expect(top.items.map((m) => m.spend)).toEqual(spends.slice(0, 5));
    // ties (99.90 is every 10th customer's spend) are ordered by customer id
    const ties = (await allMembers(0, false, 1000)).flat().filter((m) => m.spend === 99.9).map((m) => m.customerId);
    expect(ties.length).toBeGreaterThan(10);
    expect(ties).toEqual([...ties].sort());
  });

  test('cursor validation', async () => {
    const page = await store.listSegmentMembers(1, { limit: 10 });
    expect(page.cursor).toEqual(expect.any(String));
    await expect(store.listSegmentMembers(2, { cursor: page.cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.listSegmentMembers(1, { cursor: page.cursor, bySpendDesc: true })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.listSegmentMembers(1, { cursor: 'garbage!' })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.listSegmentMembers(1, { limit: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    // an empty segment id gives an empty page without cursor
    expect(await store.listSegmentMembers(99)).toEqual({ version: V1, segmentId: 99, items: [] });
  });

  test('the active model stays readable while a new version is written; switch on activation only', async () => {
    const customer = a1[100].customerId;
    const v1Customer = await store.getCustomer(customer);
    const firstPage = await store.listSegmentMembers(2, { limit: 50, bySpendDesc: true });

    await store.putModelDraft(model2);
    await store.writeAssignments(V2, a2.slice(0, N / 2)); // half written
    expect((await store.getActivePointer())!.version).toBe(V1);
    expect(await store.getCustomer(customer)).toEqual(v1Customer);
    expect(await store.listSegments()).toEqual(model1.segments);
    const during = await store.listSegmentMembers(2, { limit: 50, bySpendDesc: true });
    expect(during.version).toBe(V1);
    expect(during.items).toEqual(firstPage.items);
    await expect(store.activateModel(V2)).rejects.toThrow(new RegExp(`${N / 2} of ${N}`));

    await store.writeAssignments(V2, a2);
    const pointer = await store.activateModel(V2);
    expect(pointer).toMatchObject({ version: V2, previousVersion: V1 });

    // a cursor taken on V1 keeps paging V1
    const cont = await store.listSegmentMembers(2, { limit: 50, cursor: firstPage.cursor, bySpendDesc: true });
    expect(cont.version).toBe(V1);
    const v1Order = expectedOrder(a1.filter((a) => a.segmentId === 2), true);
    expect(cont.items.map((m) => m.customerId)).toEqual(v1Order.slice(50, 100));

    const now = await store.getCustomer(customer);
    const expected2 = a2[100];
    expect(now).toEqual({ ...expected2, version: V2, spend: expected2.features.monetary });
    expect(now!.previousSegmentId).toBe(a1[100].segmentId);
    expect(await store.getCustomer(customer, { version: V1 })).toEqual(v1Customer);
    expect(await store.listSegments()).toEqual(model2.segments);

    expect((await store.getModel(V1))!.status).toBe('superseded');
    expect((await store.getModel(V1))!.supersededBy).toBe(V2);
    const models = await store.listModels();
    expect(models.map((m) => [m.version, m.status])).toEqual([
      [V2, 'active'],
      [V1, 'superseded'],
    ]);

    // an activated version is frozen
    await expect(store.writeAssignments(V2, a2.slice(0, 1))).rejects.toBeInstanceOf(ModelStateError);
    await expect(store.putModelDraft(model2)).rejects.toBeInstanceOf(ModelStateError);
  });

  test('SegmentsClient on top of the store', async () => {
    const client = new SegmentsClient(store);
    const a = a2[7];
    const seg = model2.segments.find((s) => s.id === a.segmentId)!;
    const c = await client.getCustomerSegment(a.customerId);
    expect(c).toEqual({
      customerId: a.customerId,
      modelVersion: V2,
      segment: { id: seg.id, name: seg.name, description: seg.description, action: seg.action },
      previousSegmentId: a.previousSegmentId,
      changedSegment: a.previousSegmentId !== a.segmentId,
      spend: a.features.monetary,
      features: a.features,
      reasons: expect.any(Array),
      runnerUp: { id: a.runnerUp, name: `Segment ${a.runnerUp}` },
      margin: a.margin,
      borderline: a.margin! < 0.05,
    });
    // The stored codes in words: the customer's value against the population's median (the model's profiles).
    expect(c!.reasons.map((r) => r.code)).toEqual(a.reasons);
    const installments = c!.reasons.find((r) => r.code === 'installments')!;
    expect(installments).toMatchObject({ value: a.features.installments, typical: seg.profile.installments.populationMedian });
    expect(installments.text).toMatch(/^pays in -?[\d,.]+ installments on average \(typical customer: [\d.]+\)$/);
    // A version written before reasons existed: none, and no runner-up or margin.
    const old = await store.getCustomer(a1[7].customerId, { version: V1 });
    expect(old).not.toHaveProperty('reasons');
    expect(old).not.toHaveProperty('margin');
    expect(await client.getCustomerSegment('nobody')).toBeUndefined();

    const page = await client.listSegmentCustomers(3, { limit: 20 });
    expect(page.modelVersion).toBe(V2);
    expect(page.customers.map((c) => c.customerId)).toEqual(expectedOrder(a2.filter((x) => x.segmentId === 3), true).slice(0, 20));
    const all: string[] = [];
    for await (const c of client.iterateSegmentCustomers(3, { order: 'spendAsc', limit: 333 })) all.push(c.customerId);
    expect(all).toEqual(expectedOrder(a2.filter((x) => x.segmentId === 3), false));

    expect((await client.listSegments()).map((s) => s.name)).toEqual(model2.segments.map((s) => s.name));
    expect((await client.listModelVersions()).map((m) => m.version)).toEqual([V2, V1]);
  });

  test('why: stored with the assignment; borderline members listed from the sparse index, smallest margin first', async () => {
    const got = await store.getCustomer(a2[17].customerId);
    expect(got).toMatchObject({ reasons: a2[17].reasons, runnerUp: a2[17].runnerUp, margin: a2[17].margin });
    const record = (await store.getModel(V2))!;
    for (let segmentId = 0; segmentId < K; segmentId++) {
      const borderline = a2.filter((a) => a.segmentId === segmentId && a.margin! < 0.05);
      expect(record.borderlineCounts![segmentId]).toBe(borderline.length);
      // Expected: margin (4 decimals) ascending, ties by customer id ascending.
      const expected = [...borderline].sort((x, y) => x.margin! - y.margin! || (x.customerId < y.customerId ? -1 : 1)).map((a) => a.customerId);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listBorderlineMembers(segmentId, { limit: 23, cursor });
        expect(page.version).toBe(V2);
        if (page.cursor) expect(page.items).toHaveLength(23);
        seen.push(...page.items.map((m) => m.customerId));
        expect(page.items.every((m) => m.margin! < 0.05 && m.segmentId === segmentId)).toBe(true);
        cursor = page.cursor;
      } while (cursor);
      expect(seen).toEqual(expected);
    }
    // Ties at one margin (every 17th customer: 0.0123) come in customer id order across pages.
    expect(a2.filter((a) => a.margin === 0.0123).length).toBeGreaterThan(50);
    // Only borderline customers are in the index: its size is their count, not the segment's.
    const indexed = await env.stores.dynamo.send(new QueryCommand({ TableName: env.emulators.tableName, IndexName: GSI2_NAME, KeyConditionExpression: 'GSI2PK = :pk', ExpressionAttributeValues: { ':pk': { S: `BORDER#${V2}#0` } }, Select: 'COUNT' }));
    expect(indexed.Count).toBe(record.borderlineCounts![0]);
    expect(indexed.Count).toBeLessThan(record.segmentCounts[0] / 3);
    // The first version's items carry no margin: nothing of it is borderline.
    expect((await store.listBorderlineMembers(0, { version: V1 })).items).toEqual([]);

    const first = await store.listBorderlineMembers(1, { limit: 5 });
    await expect(store.listBorderlineMembers(2, { cursor: first.cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.listBorderlineMembers(1, { cursor: 'garbage!' })).rejects.toBeInstanceOf(InvalidCursorError);
    const members = await store.listSegmentMembers(1, { limit: 5 });
    await expect(store.listBorderlineMembers(1, { cursor: members.cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.listBorderlineMembers(1, { limit: 1001 })).rejects.toBeInstanceOf(InvalidInputError);

    // The client: the same customers, smallest margin first.
    const client = new SegmentsClient(store);
    const page = await client.listBorderlineCustomers(1, { limit: 5 });
    expect(page.customers.map((c) => c.customerId)).toEqual(first.items.map((m) => m.customerId));
    expect(page.customers[0]).toMatchObject({ runnerUp: expect.any(Number), margin: expect.any(Number), reasons: expect.any(Array) });
  });

  test('invalid why: refused with the customer named', async () => {
    const draft = withSizes(syntheticModel('v-bad-why', { k: K, customers: 3, seed: 3 }), a2.slice(0, 3));
    await store.putModelDraft(draft);
    const one = { ...a2[0], version: undefined };
    await expect(store.writeAssignments('v-bad-why', [{ ...one, runnerUp: one.segmentId }])).rejects.toThrow(/runnerUp \d+ must be another segment/);
    await expect(store.writeAssignments('v-bad-why', [{ ...one, runnerUp: 77 }])).rejects.toThrow(/runnerUp 77 must be another segment/);
    await expect(store.writeAssignments('v-bad-why', [{ ...one, margin: 1.5 }])).rejects.toThrow(/margin 1.5 must be in \[0, 1\]/);
    await expect(store.writeAssignments('v-bad-why', [{ ...one, margin: null }])).rejects.toThrow(/runnerUp and margin go together/);
    await expect(store.writeAssignments('v-bad-why', [{ ...one, reasons: ['shoeSize' as never] }])).rejects.toThrow(/reasons must be at most 3 codes/);
    await store.deleteModelVersion('v-bad-why');
  });

  test('rollback: re-activating the superseded version', async () => {
    const pointer = await store.activateModel(V1);
    expect(pointer).toMatchObject({ version: V1, previousVersion: V2 });
    expect((await store.getCustomer(a1[5].customerId))!.version).toBe(V1);
    expect((await store.getModel(V2))!.status).toBe('superseded');
    const back = await store.activateModel(V2);
    expect(back).toMatchObject({ version: V2, previousVersion: V1 });
  });

  test('deleteModelVersion: refuses the active version, removes a superseded one completely', async () => {
    await expect(store.deleteModelVersion(V2)).rejects.toThrow(/cannot delete the active version/);
    const res = await store.deleteModelVersion(V1, { retry: { baseDelayMs: 1 } });
    expect(res).toEqual({ version: V1, deletedAssignments: N, deletedModelItems: K + 1 });
    expect(await store.getModel(V1)).toBeUndefined();
    expect(await store.getCustomer(a1[0].customerId, { version: V1 })).toBeUndefined();
    // nothing of V1 is left in the table (count every item whose SK names V1)
    let left = 0;
    for (let seg = 0; seg < K; seg++) {
      for (let shard = 0; shard < 8; shard++) {
        const r = await env.stores.dynamo.send(
          new QueryCommand({
            TableName: env.emulators.tableName,
            IndexName: 'GSI1',
            KeyConditionExpression: 'GSI1PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: `SEG#${V1}#${seg}#${shard}` } },
            Select: 'COUNT',
          }),
        );
        left += r.Count ?? 0;
      }
    }
    expect(left).toBe(0);
    expect((await store.listModels()).map((m) => m.version)).toEqual([V2]);
    // V2 untouched
    expect((await store.getCustomer(a2[0].customerId))!.version).toBe(V2);
    expect((await allMembers(0, true, 1000)).flat()).toHaveLength(a2.filter((a) => a.segmentId === 0).length);
    await expect(store.activateModel(V1)).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  test('index verification refuses activation when GSI1 does not hold the written count', async () => {
    const V3 = '20240301T000000Z-cccc3333';
    const a3 = syntheticAssignments(60, { k: K, seed: 33, salt: 'v3-' });
    await store.putModelDraft(withSizes(syntheticModel(V3, { k: K, customers: 60, seed: 3 }), a3));
    await store.writeAssignments(V3, a3);
    // simulate index lag / a lost item: delete one assignment behind the store's back
    const { DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
    await env.stores.dynamo.send(
      new DeleteItemCommand({ TableName: env.emulators.tableName, Key: { PK: { S: `CUSTOMER#${a3[0].customerId}` }, SK: { S: `MODEL#${V3}` } } }),
    );
    await expect(store.activateModel(V3, { indexTimeoutMs: 300 })).rejects.toThrow(/index not complete after 300 ms: segment \d+: \d+ of \d+ in GSI1/);
    expect((await store.getActivePointer())!.version).toBe(V2);
    // re-running the write repairs it
    await store.writeAssignments(V3, a3);
    expect((await store.activateModel(V3)).version).toBe(V3);
  });

  test('rule segments and people without a delivered order: NaN statistics and undefined features round-trip', async () => {
    const V4 = '20240401T000000Z-dddd4444';
    const base = syntheticModel(V4, { k: 2, customers: 3, createdAt: '2024-04-01T00:00:00.000Z', seed: 4 });
    const rule = { ...structuredClone(base.segments[0]), id: 100, kind: 'rule' as const, name: 'Order overdue, never delivered', fidelity: { 'never-delivered': 1 } };
    rule.profile.deliveryDelayDays = { mean: NaN, median: NaN, populationMean: -11, populationMedian: -12, zScore: NaN };
    const model: SegmentModel = { ...base, segments: [...base.segments, rule], people: 4 };
    const people: CustomerAssignment[] = syntheticAssignments(4, { k: 2, seed: 4, salt: 'rule' });
    people[3] = { ...people[3], segmentId: 100, segmentName: rule.name, features: { ...people[3].features, deliveryDelayDays: NaN, lateShare: NaN, reviewScore: NaN } };
    await store.putModelDraft(withSizes(model, people));
    // Everyone is expected, not only the clustered customers.
    expect((await store.getModel(V4))!.expectedAssignments).toBe(4);
    const segs = await store.listSegments(V4);
    const back = segs.find((g) => g.id === 100)!;
    expect(back.kind).toBe('rule');
    expect(back.fidelity).toEqual({ 'never-delivered': 1 });
    expect(back.profile.deliveryDelayDays.mean).toBeNaN();
    expect(back.profile.deliveryDelayDays.populationMean).toBe(-11);
    await store.writeAssignments(V4, people);
    const stored = await store.getCustomer(people[3].customerId, { version: V4 });
    expect(stored!.segmentId).toBe(100);
    expect(stored!.features.reviewScore).toBeUndefined();
    expect(stored!.features.deliveryDelayDays).toBeUndefined();
    expect(stored!.features.monetary).toBe(people[3].features.monetary);
    const members = await store.listSegmentMembers(100, { version: V4 });
    expect(members.items.map((m) => m.customerId)).toEqual([people[3].customerId]);
  });
});
