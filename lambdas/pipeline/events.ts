/**
 * The business events the pipeline puts on EventBridge: the shape of each event's `detail`, which subscribers (marketing apps, automation) program against. Documented in the README
 * ("Events").
 */

// The names (source, bus, detail types) are the stack's too: they live in the contract.
export { DETAIL_TYPES, EVENT_BUS_NAME, EVENT_SOURCE, type DetailType } from '../contract/events';

/** Detail of "Segmentation model activated". */
export interface ModelActivatedDetail {
  /** The version readers now get (MODEL/ACTIVE), and the one it replaced (the rollback target), if any. */
  version: string;
  previousVersion: string | null;
  activatedAt: string;
  /** The dataset (run) the model was trained on, e.g. `2018-10-17` or `<id>-retrain-<time>`. */
  datasetId: string;
  /** Data time of the model: the last purchase it saw. */
  asOf: string;
  k: number;
  customers: number;
  /** Every segment of the new version with its size (customers) and share, ids as readers see them. */
  segments: { id: number; name: string; size: number; share: number; action: string }[];
  /**
   * Customers present in both versions whose segment id changed (segment ids are matched to the previous model's,
   * so a change is a real move). null when not measured: no previous version, or the distributed path (which does
   * not read the previous assignments).
   */
  customersChangedSegment: number | null;
  /** Customers of the new version that the previous one did not have; null when not measured. */
  newCustomers: number | null;
  /** Where the version's files are (s3:// URLs) and the table that serves it. */
  artifacts: {
    bucket: string;
    model: string;
    summary: string | null;
    segments: string;
    assignments: string;
    distribution: string;
    transitions: string | null;
    reports: string | null;
    /**
     * The campaign lists' manifest (`exports/<version>/manifest.json`: one CSV per segment with rows, bytes and SHA-256;
     * lambdas/pipeline/exports.ts); null when the path that activated the version wrote none.
     */
    exports: string | null;
    table: string;
  };
}
