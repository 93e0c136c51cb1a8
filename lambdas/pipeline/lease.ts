/**
 * The lease an invocation holds on a run while it works on it. A Lambda that crashes or times out runs no
 * catch block and cannot record its failure; instead it stops renewing its lease, the lease expires, and the
 * next delivery of the event (Lambda's retry, a duplicate, a later upload) takes the run over.
 *
 * The heartbeat awaits each renewal before scheduling the next, so a frozen or dead process stops renewing
 * (and so does an emulated crash, whose requests never complete). A renewal that finds the lease taken marks
 * it lost; the pipeline checks `assertHeld()` between steps and stops.
 */
import { LeaseLostError } from '../store/errors';
import { SegmentStore } from '../store/segment-store';
import { Log } from './log';

export interface LeaseTimes {
  /** Lease length: how long after its last renewal a crashed holder's run can be taken over. */
  leaseMs: number;
  /** Lease given to the training invocation by ingest: it covers Lambda's async queue (maxEventAge) and a start. */
  handoffMs: number;
}

/** 45 s lease renewed every 15 s (expired before Lambda's first async retry, 1 min after a failure); 6.5 h hand-off
 * (train maxEventAge 6 h + its 15 min timeout + margin). */
export const DEFAULT_LEASE_TIMES: LeaseTimes = { leaseMs: 45_000, handoffMs: 6.5 * 3600_000 };

export function leaseTimesFromEnv(env: Record<string, string | undefined>): LeaseTimes {
  const num = (name: string, fallback: number) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`environment variable ${name}=${v} must be a positive number of milliseconds`);
    return n;
  };
  return { leaseMs: num('RUN_LEASE_MS', DEFAULT_LEASE_TIMES.leaseMs), handoffMs: num('RUN_HANDOFF_MS', DEFAULT_LEASE_TIMES.handoffMs) };
}

export interface Heartbeat {
  readonly owner: string;
  /** Throws LeaseLostError when a renewal found the run taken over. */
  assertHeld(): void;
  stop(): void;
}

export function startHeartbeat(segments: SegmentStore, datasetId: string, owner: string, leaseMs: number, log: Log): Heartbeat {
  let stopped = false;
  let lost = false;
  let timer: NodeJS.Timeout | undefined;
  const beat = async () => {
    if (stopped) return;
    try {
      if (!(await segments.renewRunLease(datasetId, owner, leaseMs))) {
        lost = true;
        log.warn('run lease lost', { datasetId, owner });
        return;
      }
    } catch (err) {
      // Throttled or unreachable: try again next beat; the lease has two more beats of slack.
      log.warn('run lease renewal failed', { datasetId, error: (err as Error).message });
    }
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(beat, Math.max(10, leaseMs / 3));
    timer.unref(); // never keeps a process alive on its own
  };
  schedule();
  return {
    owner,
    assertHeld() {
      if (lost) throw new LeaseLostError(datasetId, owner);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
