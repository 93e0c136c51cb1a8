/**
 * Names of the business events on EventBridge, shared by the stack (the IAM condition on events:PutEvents, rules) and
 * the functions (what they publish). The detail shapes subscribers program against: lambdas/pipeline/events.ts.
 */

/** `source` of every event the pipeline publishes. */
export const EVENT_SOURCE = 'olist.segments';
/** The pipeline publishes on the account's default bus. */
export const EVENT_BUS_NAME = 'default';

/** `detail-type` of each event, the only ones the roles may publish (IAM condition events:detail-type). */
export const DETAIL_TYPES = {
  /** The scheduled check found the active model drifted or overdue (lambdas/pipeline/stability.ts). */
  drift: 'Segmentation drift detected',
  /** A new model version went live: readers now get its segments (lambdas/pipeline/activation-event.ts). */
  activated: 'Segmentation model activated',
} as const;

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];
