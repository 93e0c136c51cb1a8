/**
 * A deletion request (LGPD art. 18, GDPR art. 17): `segments forget --customer ID` removes one person from everything
 * the product keeps, and keeps them out of later trainings.
 *
 * 1. The suppression list first (a salted hash, never the id: lambdas/store/personal-data.ts), so that an ingest or a
 *    training that starts from now on leaves them out, whatever the files still hold.
 * 2. Their identifiers, from the raw exports: customer_unique_id, then their customer_ids, order_ids and review_ids.
 * 3. Every object under the prefixes that hold personal data (raw `incoming/`; artifacts `features/ models/ reports/
 *    errors/ work/ exports/`) that names them is rewritten without them (lambdas/core/erasure.ts); a campaign list's
 *    manifest (exports/<version>/manifest.json, which names nobody) then gets the rewritten files' counts and checksums.
 * 4. Older object versions that name them are deleted (versioned buckets; s3rver keeps none).
 * 5. The table: their assignment in every model version, and the run records whose reasons quote their ids.
 * 6. The report of what was removed, printed by the CLI and stored as `erasures/<time>-<tag>.json` in the artifacts
 *    bucket, naming the person only by a tag of the salted hash.
 *
 * A training running while this runs may have read its features before step 1: the report lists runs in progress, and
 * running forget again once they end removes what they wrote.
 */
import { Readable } from 'node:stream';
import type { BlobStore } from '../store/blob-store';
import { hashTag, type PersonalDataStore } from '../store/personal-data';
import { collectLinkedIds, ERASED, eraseFromObject, mentions, personIds, tokensOf } from '../core/erasure';
import { INCOMING_PREFIX } from './datasets';
import { ARTIFACT_PREFIXES as P } from '../contract/prefixes';
import { campaignListOf, refreshManifest } from './exports';
import type { CampaignManifest } from '../core/model/campaignList';

/** Where personal data may be, per bucket. */
const PERSONAL_PREFIXES = { raw: [INCOMING_PREFIX], artifacts: [P.features, P.models, P.reports, P.errors, P.work, P.exports] } as const;
export const ERASURES_PREFIX = 'erasures/';

/** What an erasure needs of a bucket. */
export type ErasableStore = Pick<BlobStore, 'bucket' | 'list' | 'get' | 'getText' | 'putStream' | 'putJson' | 'listVersions' | 'getVersion' | 'deleteVersion'>;

export interface ForgetDeps {
  raw: ErasableStore;
  artifacts: ErasableStore;
  personalData: PersonalDataStore;
  /** Local copies of the artifacts to treat like objects (`npm start`'s .local/out files): path -> read/write. */
  localFiles?: { list(): Promise<string[]>; read(path: string): Promise<Buffer>; write(path: string, bytes: Buffer): Promise<void> };
  now?: Date;
  onProgress?: (what: string) => void;
}

export interface ObjectErasure {
  where: string;
  action: 'rewritten' | 'older version deleted' | 'not handled';
  detail: string;
}

export interface ForgetReport {
  at: string;
  /** The person, by a tag of their salted hash (the stored report never holds the id). */
  person: string;
  suppressed: true;
  identifiers: { customerIds: number; orderIds: number; reviewIds: number };
  table: { versions: string[]; runRecordsRedacted: number; runsInProgress: string[] };
  objects: ObjectErasure[];
  /** Per bucket: whether older versions were looked at. */
  versions: Record<string, 'checked' | 'not kept by this store'>;
  /** Objects that still name the person (an unknown format): the request is not complete while any is listed. */
  unhandled: string[];
  reportKey: string;
}

export async function forgetCustomer(deps: ForgetDeps, customerId: string): Promise<ForgetReport> {
  const now = deps.now ?? new Date();
  const say = deps.onProgress ?? (() => undefined);
  const hash = await deps.personalData.suppress(customerId, now);
  const person = personIds(customerId);
  const buckets = [
    { name: 'raw', store: deps.raw, prefixes: PERSONAL_PREFIXES.raw },
    { name: 'artifacts', store: deps.artifacts, prefixes: PERSONAL_PREFIXES.artifacts },
  ];

  say('finding the person’s identifiers in the exports');
  const csvKeys: { store: ErasableStore; key: string }[] = [];
  for (const b of buckets) for (const p of b.prefixes) for (const o of await b.store.list(p)) if (o.key.endsWith('.csv')) csvKeys.push({ store: b.store, key: o.key });
  // customers -> orders -> reviews: repeated until nothing new links (three passes at most on an Olist export).
  for (let changed = true; changed; ) {
    changed = false;
    for (const { store, key } of csvKeys) if (collectLinkedIds(await store.getText(key), key, person)) changed = true;
  }

  const report: ForgetReport = {
    at: now.toISOString(),
    person: hashTag(hash),
    suppressed: true,
    identifiers: { customerIds: person.customerIds.size, orderIds: person.orderIds.size, reviewIds: person.reviewIds.size },
    table: { versions: [], runRecordsRedacted: 0, runsInProgress: [] },
    objects: [],
    versions: {},
    unhandled: [],
    reportKey: '',
  };

  say('rewriting the objects that name them');
  // Rewritten campaign lists, by the manifest beside them (bucket key or local path) -> file name -> new bytes.
  const lists = new Map<string, Map<string, Buffer>>();
  const noteList = (keyOrPath: string, bytes: Buffer) => {
    const list = campaignListOf(keyOrPath);
    if (!list) return;
    if (!lists.has(list.manifest)) lists.set(list.manifest, new Map());
    lists.get(list.manifest)!.set(list.name, bytes);
  };
  for (const b of buckets) {
    for (const prefix of b.prefixes) {
      for (const o of await b.store.list(prefix)) {
        const where = `s3://${b.store.bucket}/${o.key}`;
        const result = eraseFromObject(o.key, await readAll(await b.store.get(o.key)), person);
        if (!result) continue;
        if ('unhandled' in result) {
          report.objects.push({ where, action: 'not handled', detail: result.unhandled });
          report.unhandled.push(where);
          continue;
        }
        await b.store.putStream(o.key, Readable.from([result.bytes]), { contentLength: result.bytes.length });
        report.objects.push({ where, action: 'rewritten', detail: result.removed });
        if (b.store === deps.artifacts && o.key.startsWith(P.exports)) noteList(o.key, result.bytes);
      }
    }
  }
  for (const [key, files] of lists) {
    const manifest = refreshManifest(JSON.parse(await deps.artifacts.getText(key)) as CampaignManifest, files, now);
    await deps.artifacts.putJson(key, manifest);
    report.objects.push({ where: `s3://${deps.artifacts.bucket}/${key}`, action: 'rewritten', detail: `counts and checksums of ${files.size} rewritten list${files.size === 1 ? '' : 's'}` });
  }
  lists.clear();

  say('deleting older versions that name them');
  const tokens = tokensOf(person);
  for (const b of buckets) {
    let checked = false;
    for (const prefix of b.prefixes) {
      const versions = await b.store.listVersions(prefix);
      if (!versions) continue;
      checked = true;
      for (const v of versions) {
        if (v.isLatest || v.deleteMarker) continue;
        if (!mentions(await readAll(await b.store.getVersion(v.key, v.versionId)), tokens)) continue;
        await b.store.deleteVersion(v.key, v.versionId);
        report.objects.push({ where: `s3://${b.store.bucket}/${v.key}?versionId=${v.versionId}`, action: 'older version deleted', detail: 'it named the person' });
      }
    }
    report.versions[b.store.bucket] = checked ? 'checked' : 'not kept by this store';
  }

  if (deps.localFiles) {
    say('local copies');
    for (const path of await deps.localFiles.list()) {
      const result = eraseFromObject(path, await deps.localFiles.read(path), person);
      if (!result) continue;
      if ('unhandled' in result) {
        report.objects.push({ where: path, action: 'not handled', detail: result.unhandled });
        report.unhandled.push(path);
      } else {
        await deps.localFiles.write(path, result.bytes);
        report.objects.push({ where: path, action: 'rewritten', detail: result.removed });
        noteList(path, result.bytes);
      }
    }
    const present = new Set(await deps.localFiles.list());
    for (const [path, files] of lists) {
      if (!present.has(path)) continue;
      const manifest = refreshManifest(JSON.parse((await deps.localFiles.read(path)).toString('utf8')) as CampaignManifest, files, now);
      await deps.localFiles.write(path, Buffer.from(JSON.stringify(manifest)));
      report.objects.push({ where: path, action: 'rewritten', detail: `counts and checksums of ${files.size} rewritten list${files.size === 1 ? '' : 's'}` });
    }
  }

  say('the table');
  report.table.versions = await deps.personalData.deleteCustomer(customerId);
  for (const run of await deps.personalData.runRecords()) {
    const list = (name: string) => run[name]?.L?.map((v) => v.S ?? '');
    const [reasons, previousReasons] = [list('reasons'), list('previousReasons')];
    if ([...(reasons ?? []), ...(previousReasons ?? [])].some((r) => tokens.some((t) => r.includes(t)))) {
      await deps.personalData.setReasons({ PK: run.PK, SK: run.SK }, { reasons: reasons?.map((r) => redactText(r, tokens)), previousReasons: previousReasons?.map((r) => redactText(r, tokens)) });
      report.table.runRecordsRedacted++;
    }
    if (['claimed', 'ingesting', 'training'].includes(run.status?.S ?? '')) report.table.runsInProgress.push(run.PK.S!.replace(/^RUN#/, ''));
  }

  report.reportKey = `${ERASURES_PREFIX}${report.at.replace(/[-:.]/g, '')}-${report.person}.json`;
  await deps.artifacts.putJson(report.reportKey, report);
  return report;
}

function redactText(text: string, tokens: readonly string[]): string {
  let out = text;
  for (const t of tokens) out = out.split(t).join(ERASED);
  return out;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

