/**
 * The shuffle steps: scatter (one task per input object, streamed), pass A (customer routes x orders) and pass B
 * (order routes x items, payments, reviews), one task per bucket. The routing itself is core/distributed/shuffle.ts.
 */
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { joinChildren, joinOrders, RoutedBuffers, TABLE_FILES, TableRouter, type RouteKind, type RouteOutput } from '../../core/distributed/shuffle';
import { pad, putAll, runKeys, texts, type DistributedDeps } from './common';
import type { Plan, ScatterItem } from './plan';

const KIND: Record<string, RouteKind> = { customers: 'customers', orders: 'orders', items: 'children', payments: 'children', reviews: 'children', previous: 'previous' };

/** Records of one table object apart in ordinal space: a customers object holds fewer than this many records. */
const ORDINAL_SPACING = 2 ** 32;

/** One input object -> routed pieces, streamed: the object is never held whole (any table size). */
export async function scatter(deps: DistributedDeps, plan: Plan, item: ScatterItem): Promise<{ key: string; records: number; pieces: number }> {
  const store = item.source === 'artifacts' ? deps.artifacts : deps.raw;
  const keys = runKeys(plan.work);
  const id = createHash('sha256').update(item.key).digest('hex').slice(0, 16);
  const source = `s3://${store.bucket}/${item.key}`;
  if (item.role === 'dimension') {
    await deps.artifacts.putText(keys.dim(item.file, id), await store.getText(item.key), { contentType: 'text/csv' });
    return { key: item.key, records: -1, pieces: 1 };
  }
  const kind = KIND[item.role];
  if (!kind) throw new Error(`${source}: nothing to scatter for role ${item.role}`);
  const counters = new Map<string, number>();
  const keyOf = (output: RouteOutput, target: number): string => {
    const n = counters.get(`${output}:${target}`) ?? 0;
    counters.set(`${output}:${target}`, n + 1);
    if (kind === 'customers') {
      if (output === 'data') return keys.scatterPart(target, TABLE_FILES.customers, id, n);
      if (output === 'routes') return keys.scatterA(target, 'routes', id, n);
      return keys.scatterPart(target, 'ordinals', id, n);
    }
    if (kind === 'orders') return keys.scatterA(target, 'orders', id, n);
    if (kind === 'children') return keys.scatterB(target, item.file, id, n);
    return keys.scatterPart(target, 'previous', id, n);
  };
  let router: TableRouter | undefined;
  const buffers = new RoutedBuffers(() => router!.headers);
  router = new TableRouter(kind, plan, source, (output, target, line) => buffers.add(output, target, line), item.index * ORDINAL_SPACING);
  let pieces = 0;
  const flush = async (due: ReturnType<RoutedBuffers['due']>) => {
    await putAll(
      deps.artifacts,
      due.map((d) => [keyOf(d.output, d.target), d.text]),
    );
    pieces += due.length;
  };
  const decoder = new StringDecoder('utf8');
  for await (const chunk of await store.get(item.key)) {
    router.push(decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
    const due = buffers.due();
    if (due.length) await flush(due);
  }
  router.push(decoder.end());
  const records = router.end();
  await flush(buffers.rest());
  return { key: item.key, records, pieces };
}

/** Pass A for bucket q: customer routes x orders. */
export async function joinOrdersStep(deps: DistributedDeps, plan: Plan, q: number): Promise<{ q: number; orders: number }> {
  const k = runKeys(plan.work);
  const base = `${plan.work}scatter/a/${pad(q)}/`;
  const out = joinOrders(await texts(deps.artifacts, `${base}routes/`), await texts(deps.artifacts, `${base}orders/`), plan, `s3://${deps.artifacts.bucket}/${base}`);
  const puts: [string, string][] = [];
  out.partitions.forEach((t, p) => puts.push([k.aPart(p, TABLE_FILES.orders, q), t]));
  out.routes.forEach((t, q2) => puts.push([k.aRoutes(q2, q), t]));
  await putAll(deps.artifacts, puts);
  await deps.artifacts.putJson(k.aStats(q), { lastPurchase: Number.isFinite(out.lastPurchase) ? out.lastPurchase : null, orders: out.orders, days: out.days });
  return { q, orders: out.orders };
}

/** Pass B for bucket q: order routes x items, payments, reviews. */
export async function joinChildrenStep(deps: DistributedDeps, plan: Plan, q: number): Promise<{ q: number; orphans: Record<string, number> }> {
  const k = runKeys(plan.work);
  const routes = await texts(deps.artifacts, `${plan.work}a/routes/${pad(q)}/`);
  const orphans: Record<string, number> = {};
  const puts: [string, string][] = [];
  for (const file of [TABLE_FILES.items, TABLE_FILES.payments, TABLE_FILES.reviews]) {
    const prefix = `${plan.work}scatter/b/${pad(q)}/${file}/`;
    const out = joinChildren(routes, await texts(deps.artifacts, prefix), `s3://${deps.artifacts.bucket}/${prefix}`);
    out.partitions.forEach((t, p) => puts.push([k.bPart(p, file, q), t]));
    orphans[file] = out.orphans;
  }
  await putAll(deps.artifacts, puts);
  await deps.artifacts.putJson(k.bStats(q), { orphans });
  return { q, orphans };
}
