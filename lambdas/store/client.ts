/**
 * The typed, read-only client a marketing app imports. Everything reads the ACTIVE model version
 * (resolved per call, so an activation is picked up immediately) unless a version is given.
 *
 *   const segments = SegmentsClient.fromEnv();           // TABLE_NAME (+ SEGMENTS_DYNAMODB_ENDPOINT locally)
 *   const c = await segments.getCustomerSegment('8d5f...');           // segment, reasons in words, runner-up, margin
 *   for await (const m of segments.iterateSegmentCustomers(3, { order: 'spendDesc' })) ...
 *   const page = await segments.listBorderlineCustomers(3, { limit: 50 }); // closest to leaving segment 3 first
 */
import { BORDERLINE_MARGIN } from '../core/model/margin';
import { reasonsInWords, type Reason } from '../core/model/explainText';
import type { FeatureVector, ReasonCode, SegmentDescription, SegmentModel } from '../core/domain/types';
import { createDynamoClient, ENV, loadStoreConfig } from './config';
import { createSegmentStore } from './dynamo-segment-store';
import type { AssignmentReader, MembersPage, StoredAssignment } from './assignments/assignment-store';
import type { ModelReader, ModelSummary } from './models/model-store';
import type { StabilityCheckRecord, StabilityStore } from './stability/stability-store';

export type { Reason } from '../core/model/explainText';

export interface SegmentRef {
  id: number;
  name: string;
  description: string;
  action: string;
}

export interface CustomerSegment {
  customerId: string;
  modelVersion: string;
  segment: SegmentRef;
  /** The segment id in the model version before (undefined for new customers or a first model). */
  previousSegmentId?: number;
  /** True when the customer moved between segments since the previous version. */
  changedSegment: boolean;
  spend: number;
  features: FeatureVector;
  /**
   * What sets the customer apart from the population in the model's space (2-3 features, strongest first, with their
   * value and the typical customer's), or the rule that placed them (rule segments). [] for a version written before
   * reasons existed.
   */
  reasons: Reason[];
  /** The segment of the second-nearest centroid (null in a rule segment, or for a version written before it existed). */
  runnerUp: { id: number; name: string } | null;
  /** 1 - d(own centroid) / d(runner-up centroid) in [0, 1]: 0 = halfway between the two (null as runnerUp). */
  margin: number | null;
  /** margin below BORDERLINE_MARGIN: listed by listBorderlineCustomers. */
  borderline: boolean;
}

export interface SegmentCustomer {
  customerId: string;
  spend: number;
  previousSegmentId?: number;
  features: FeatureVector;
  /** Reason codes (feature names, or the service group of a rule segment); getCustomerSegment words them. */
  reasons: ReasonCode[];
  runnerUp: number | null;
  margin: number | null;
}

export interface SegmentCustomersPage {
  modelVersion?: string;
  customers: SegmentCustomer[];
  /** Pass back to get the next page; absent on the last page. */
  nextCursor?: string;
}

export interface ListSegmentCustomersOptions {
  limit?: number;
  cursor?: string;
  /** Default 'spendDesc' (top spenders first). */
  order?: 'spendDesc' | 'spendAsc';
  /** A model version instead of the active one (a cursor pins its version anyway). */
  version?: string;
}

export interface ListBorderlineCustomersOptions {
  limit?: number;
  cursor?: string;
}

/** What the client reads: no write of any aggregate (its IAM role has GetItem and Query only). */
export type SegmentsReader = ModelReader & AssignmentReader & Pick<StabilityStore, 'listStabilityChecks'>;

export class SegmentsClient {
  /** Models (META and segments) per version (immutable once written). */
  private readonly modelCache = new Map<string, Promise<SegmentModel>>();

  constructor(private readonly store: SegmentsReader) {}

  /** From the environment: TABLE_NAME, and SEGMENTS_DYNAMODB_ENDPOINT for the local emulator. */
  static fromEnv(env: Record<string, string | undefined> = process.env): SegmentsClient {
    const config = loadStoreConfig(env);
    if (!config.tableName) throw new Error(`environment variable ${ENV.tableName} is not set`);
    return new SegmentsClient(createSegmentStore({ client: createDynamoClient(config), tableName: config.tableName }));
  }

  private modelOf(version: string): Promise<SegmentModel> {
    let cached = this.modelCache.get(version);
    if (!cached) {
      cached = this.store.getModel(version).then((record) => {
        if (!record) throw new Error(`model version ${version} does not exist`);
        return record.model;
      });
      cached.catch(() => this.modelCache.delete(version));
      this.modelCache.set(version, cached);
    }
    return cached;
  }

  /** The customer's segment in the active model, or undefined if the customer is not in it. */
  async getCustomerSegment(customerId: string): Promise<CustomerSegment | undefined> {
    const a = await this.store.getCustomer(customerId);
    if (!a) return undefined;
    const model = await this.modelOf(a.version);
    const segments = new Map(model.segments.map((s) => [s.id, s]));
    const segment = segments.get(a.segmentId);
    const runnerUp = a.runnerUp ?? null;
    const margin = a.margin ?? null;
    return {
      customerId: a.customerId,
      modelVersion: a.version,
      segment: {
        id: a.segmentId,
        name: segment?.name ?? a.segmentName,
        description: segment?.description ?? '',
        action: segment?.action ?? '',
      },
      previousSegmentId: a.previousSegmentId,
      changedSegment: a.previousSegmentId !== undefined && a.previousSegmentId !== a.segmentId,
      spend: a.spend,
      features: a.features,
      reasons: reasonsInWords(a, model),
      runnerUp: runnerUp === null ? null : { id: runnerUp, name: segments.get(runnerUp)?.name ?? '' },
      margin,
      borderline: margin !== null && margin < BORDERLINE_MARGIN,
    };
  }

  /** One page of a segment's customers (default: highest spend first). */
  async listSegmentCustomers(segmentId: number, options: ListSegmentCustomersOptions = {}): Promise<SegmentCustomersPage> {
    const page = await this.store.listSegmentMembers(segmentId, {
      limit: options.limit,
      cursor: options.cursor,
      bySpendDesc: (options.order ?? 'spendDesc') === 'spendDesc',
      version: options.cursor ? undefined : options.version,
    });
    return pageOf(page);
  }

  /**
   * One page of a segment's borderline customers (margin below BORDERLINE_MARGIN), smallest margin first: those
   * closest to another segment. Read from the sparse borderline index (GSI2); the cursor pins the version.
   */
  async listBorderlineCustomers(segmentId: number, options: ListBorderlineCustomersOptions = {}): Promise<SegmentCustomersPage> {
    return pageOf(await this.store.listBorderlineMembers(segmentId, { limit: options.limit, cursor: options.cursor }));
  }

  /** Every customer of a segment, page by page (one version throughout, even if another is activated meanwhile). */
  async *iterateSegmentCustomers(segmentId: number, options: Omit<ListSegmentCustomersOptions, 'cursor'> = {}): AsyncGenerator<SegmentCustomer> {
    let cursor: string | undefined;
    do {
      const page = await this.listSegmentCustomers(segmentId, { ...options, cursor });
      yield* page.customers;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** The segments of the active model (or of version), by id. */
  listSegments(version?: string): Promise<SegmentDescription[]> {
    return this.store.listSegments(version);
  }

  /** All model versions, newest first, with their status ('active' for the one in use). */
  listModelVersions(): Promise<ModelSummary[]> {
    return this.store.listModels();
  }

  /** The latest stability checks, newest first. */
  stabilityHistory(limit = 20): Promise<StabilityCheckRecord[]> {
    return this.store.listStabilityChecks(limit);
  }
}

function toCustomer(a: StoredAssignment): SegmentCustomer {
  const c: SegmentCustomer = { customerId: a.customerId, spend: a.spend, features: a.features, reasons: a.reasons ?? [], runnerUp: a.runnerUp ?? null, margin: a.margin ?? null };
  if (a.previousSegmentId !== undefined) c.previousSegmentId = a.previousSegmentId;
  return c;
}

function pageOf(page: MembersPage): SegmentCustomersPage {
  return { modelVersion: page.version, customers: page.items.map(toCustomer), nextCursor: page.cursor };
}
