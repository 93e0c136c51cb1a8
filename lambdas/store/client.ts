/**
 * The typed, read-only client a marketing app imports. Everything reads the ACTIVE model version
 * (resolved per call, so an activation is picked up immediately) unless a version is given.
 *
 *   const segments = SegmentsClient.fromEnv();           // TABLE_NAME (+ SEGMENTS_DYNAMODB_ENDPOINT locally)
 *   const c = await segments.getCustomerSegment('8d5f...');
 *   for await (const m of segments.iterateSegmentCustomers(3, { order: 'spendDesc' })) ...
 */
import type { FeatureVector, SegmentDescription } from '../core/model/types';
import { createDynamoClient, ENV, loadStoreConfig } from './config';
import { DynamoSegmentStore } from './dynamo-segment-store';
import type { ModelSummary, SegmentStore, StabilityCheckRecord, StoredAssignment } from './segment-store';

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
}

export interface SegmentCustomer {
  customerId: string;
  spend: number;
  previousSegmentId?: number;
  features: FeatureVector;
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
}

export class SegmentsClient {
  /** Segment descriptions per version (immutable once written). */
  private readonly segmentCache = new Map<string, Promise<Map<number, SegmentDescription>>>();

  constructor(private readonly store: SegmentStore) {}

  /** From the environment: TABLE_NAME, and SEGMENTS_DYNAMODB_ENDPOINT for the local emulator. */
  static fromEnv(env: Record<string, string | undefined> = process.env): SegmentsClient {
    const config = loadStoreConfig(env);
    if (!config.tableName) throw new Error(`environment variable ${ENV.tableName} is not set`);
    return new SegmentsClient(new DynamoSegmentStore({ client: createDynamoClient(config), tableName: config.tableName }));
  }

  private segmentsOf(version: string): Promise<Map<number, SegmentDescription>> {
    let cached = this.segmentCache.get(version);
    if (!cached) {
      cached = this.store.listSegments(version).then((list) => new Map(list.map((s) => [s.id, s])));
      cached.catch(() => this.segmentCache.delete(version));
      this.segmentCache.set(version, cached);
    }
    return cached;
  }

  /** The customer's segment in the active model, or undefined if the customer is not in it. */
  async getCustomerSegment(customerId: string): Promise<CustomerSegment | undefined> {
    const a = await this.store.getCustomer(customerId);
    if (!a) return undefined;
    const segment = (await this.segmentsOf(a.version)).get(a.segmentId);
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
    };
  }

  /** One page of a segment's customers (default: highest spend first). */
  async listSegmentCustomers(segmentId: number, options: ListSegmentCustomersOptions = {}): Promise<SegmentCustomersPage> {
    const page = await this.store.listSegmentMembers(segmentId, {
      limit: options.limit,
      cursor: options.cursor,
      bySpendDesc: (options.order ?? 'spendDesc') === 'spendDesc',
    });
    return { modelVersion: page.version, customers: page.items.map(toCustomer), nextCursor: page.cursor };
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
  const c: SegmentCustomer = { customerId: a.customerId, spend: a.spend, features: a.features };
  if (a.previousSegmentId !== undefined) c.previousSegmentId = a.previousSegmentId;
  return c;
}
