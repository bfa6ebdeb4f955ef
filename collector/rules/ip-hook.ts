// The IP on-change hook: when to retry a failed run, and whether the "ip.hook-failed" check fires.
// Pure.
//
// The check fires at the first failed attempt (not after the retries): a failed DNS update means
// the name points to the old address now, and the retries keep going in the background for as
// long as it takes. It resolves when a run succeeds, for this address or a newer one, and when the
// hook is no longer configured for the host.

/** What the rule needs of a host's hook state for one family. */
export interface IpHookSnapshot {
  family: 4 | 6;
  address: string;
  status: "pending" | "ok" | "failed";
  attempts: number;
  lastError: string | null;
  failingSince: number | null;
  nextAttemptAt: number | null;
  doneAddress: string | null;
}

/** Waits before the 1st, 2nd, ... retry; the last one repeats for as long as the runs fail. */
export const IP_HOOK_RETRY_MS: readonly number[] = [15_000, 60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000];

/** When to try again after `failures` failed attempts (1 or more) for one address. */
export function ipHookRetryAt(failures: number, at: number, delaysMs: readonly number[] = IP_HOOK_RETRY_MS): number {
  if (delaysMs.length === 0) throw new RangeError("ip hook retry: no delays");
  const i = Math.min(Math.max(failures, 1), delaysMs.length) - 1;
  return at + delaysMs[i]!;
}

export interface IpHookVerdict {
  firing: boolean;
}

/** The check of one family; `hook` is null when the host has no hook state (or no hook any more). */
export function ipHookVerdict(hook: IpHookSnapshot | null): IpHookVerdict {
  return { firing: hook !== null && hook.failingSince !== null };
}
