/**
 * The lease an invocation holds on a run while it works on it. A Lambda that crashes or times out runs no
 * catch block and cannot record its failure. Its owner is the invocation's Lambda request id: Lambda retries a
 * failed or timed-out async invocation under the same request id, and only once the previous attempt ended, so
 * the retry (same owner) takes its dead attempt's run over at once (store: claimRun / acquireRunLease). Every
 * other delivery (an S3 duplicate, a later upload) is another owner and needs a failed run or an expired lease.
 *
 * So the lease can cover the whole invocation: the function's remaining time at the start + a margin. Training's
 * synchronous CPU stretches (tens of seconds, no timer can fire) then never expose the run to a duplicate, and
 * no heartbeat is needed: the invocation cannot outlive its lease, and renewing would only delay the moment a run
 * whose retries are exhausted (event in the failure destination) can be taken over by a later delivery (at most
 * the timeout + margin, ~16 min for train).
 *
 * Without a known deadline (RUN_LEASE_MS set, or no Lambda context: tests, local use) the heartbeat renews the
 * lease: it awaits each renewal before scheduling the next, so a frozen or dead process stops renewing (and so
 * does an emulated crash, whose requests never complete). A renewal that finds the lease taken marks it lost;
 * the pipeline checks `assertHeld()` between steps and stops. Fencing (updateRun ifOwner) applies either way.
 */
import { LeaseLostError } from '../store/errors';
import type { RunStore } from '../store/segment-store';
import { Log } from './log';
import { TUNING_ENV } from '../contract/env';

export interface LeaseTimes {
  /** Lease length: how long after its last renewal a crashed holder's run can be taken over. */
  leaseMs: number;
  /** Lease given to the training invocation by ingest: it covers Lambda's async queue (maxEventAge) and a start. */
  handoffMs: number;
  /** Renew the lease every leaseMs / 3 while working (default true); false when leaseMs covers the whole invocation. */
  renew?: boolean;
}

/** Beyond the invocation's deadline: clock skew between hosts, and the last in-flight request of a killed attempt. */
export const LEASE_MARGIN_MS = 60_000;

/** Without a deadline: the longest function timeout (train, 15 min) + margin, renewed; 6.5 h hand-off (train
 * maxEventAge 6 h + its 15 min timeout + margin). */
export const DEFAULT_LEASE_TIMES: LeaseTimes = { leaseMs: 15 * 60_000 + LEASE_MARGIN_MS, handoffMs: 6.5 * 3600_000, renew: true };

/**
 * RUN_LEASE_MS (renewed) when set; otherwise, in Lambda, the invocation's remaining time (context.getRemainingTimeInMillis()
 * at its start) + LEASE_MARGIN_MS, not renewed; otherwise DEFAULT_LEASE_TIMES.
 */
export function leaseTimesFromEnv(env: Record<string, string | undefined>, remainingMs?: number): LeaseTimes {
  return leaseTimesFor(leaseSettingsFromEnv(env), remainingMs);
}

/** The environment's part of the lease times (RUN_LEASE_MS, RUN_HANDOFF_MS), parsed once per function (handlers/config.ts). */
export interface LeaseSettings {
  /** Fixed, renewed lease length; undefined: the invocation's remaining time. */
  leaseMs?: number;
  handoffMs: number;
}

export function leaseSettingsFromEnv(env: Record<string, string | undefined>): LeaseSettings {
  const num = (name: string) => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`environment variable ${name}=${v} must be a positive number of milliseconds`);
    return n;
  };
  return { leaseMs: num(TUNING_ENV.runLeaseMs), handoffMs: num(TUNING_ENV.runHandoffMs) ?? DEFAULT_LEASE_TIMES.handoffMs };
}

/** The lease times of one invocation: its settings, and the time it has left (its context) when known. */
export function leaseTimesFor(settings: LeaseSettings, remainingMs?: number): LeaseTimes {
  const { handoffMs } = settings;
  if (settings.leaseMs !== undefined) return { leaseMs: settings.leaseMs, handoffMs, renew: true };
  if (remainingMs !== undefined && Number.isFinite(remainingMs) && remainingMs > 0) return { leaseMs: Math.ceil(remainingMs) + LEASE_MARGIN_MS, handoffMs, renew: false };
  return { ...DEFAULT_LEASE_TIMES, handoffMs };
}

export interface Heartbeat {
  readonly owner: string;
  /** Throws LeaseLostError when a renewal found the run taken over. */
  assertHeld(): void;
  stop(): void;
}

/** Renews the lease every leaseMs / 3 unless `renew` is false (the lease already covers the whole invocation). */
export function startHeartbeat(segments: Pick<RunStore, 'renewRunLease'>, datasetId: string, owner: string, leaseMs: number, log: Log, renew = true): Heartbeat {
  let stopped = !renew;
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
