import type { WrongExternalIdAnswer } from '@sluice/aws/assume-role';
import type { CredentialBroker } from '@sluice/aws/credentials';
import {
  type DestinationResolver,
  type ResolvedDestination,
  type StoredDestination,
  UnusableDestinationError,
} from './resolver.ts';
import type { ProbeResult } from './types.ts';

/**
 * What Sluice learns about a destination from AWS without sending to it: its attributes (the
 * size limit it accepts, its FIFO-ness) and, for a role, whether it refuses an ExternalId that
 * is not the destination's. Read when a destination is created or its config or auth changes,
 * and again periodically by the worker; a failed read is no error (the role may not trust
 * Sluice yet), it only leaves the facts unknown until the next.
 */

export interface DestinationInspection {
  /** The attributes probe; `maxMessageBytes` is null when they could not be read. */
  probe: ProbeResult;
  /** How the role answered a wrong ExternalId; null for access keys. */
  wrongExternalId: WrongExternalIdAnswer | null;
}

const unread = (detail: string): ProbeResult => ({
  ok: false,
  maxMessageBytes: null,
  checks: [{ name: 'attributes', ok: false, detail }],
  failureCode: 'inspection_timed_out',
});

export async function inspectDestination(input: {
  resolved: ResolvedDestination;
  broker: Pick<CredentialBroker, 'checkExternalId'>;
  /** A create or PATCH waits at most this long; what is not known by then is learned later. */
  timeoutMs: number;
}): Promise<DestinationInspection> {
  const { destination, send } = input.resolved;
  const role = send.credentials.mode === 'assume_role' ? send.credentials.principal : null;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<DestinationInspection>((resolve) => {
    timer = setTimeout(
      () => resolve({ probe: unread('Timed out.'), wrongExternalId: role ? 'unknown' : null }),
      input.timeoutMs,
    );
  });
  const inspected = Promise.all([destination.probe(send), role ? input.broker.checkExternalId(role) : null]).then(
    ([probe, wrongExternalId]) => ({ probe, wrongExternalId }),
  );
  try {
    return await Promise.race([inspected, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** What an inspection found, as stored: null where it learned nothing this time. */
export interface InspectedFacts {
  maxMessageBytes: number | null;
  /** Whether the role accepts a wrong ExternalId; null for access keys or when STS did not say. */
  trustPolicyOpen: boolean | null;
}

export const trustPolicyOpenOf = (answer: WrongExternalIdAnswer | null): boolean | null =>
  answer === 'accepted' ? true : answer === 'refused' ? false : null;

/**
 * Inspects a stored destination, whatever was found of its role before (this is how a fixed
 * trust policy is noticed); null when it cannot be used at all (a secret no key opens).
 */
export async function inspectStoredDestination(
  row: StoredDestination,
  deps: {
    resolver: Pick<DestinationResolver, 'resolve'>;
    broker: Pick<CredentialBroker, 'checkExternalId'>;
    timeoutMs: number;
  },
): Promise<InspectedFacts | null> {
  let resolved: ResolvedDestination;
  try {
    resolved = deps.resolver.resolve({ ...row, trustPolicyOpenAt: null });
  } catch (error) {
    if (error instanceof UnusableDestinationError) return null;
    throw error;
  }
  const { probe, wrongExternalId } = await inspectDestination({
    resolved,
    broker: deps.broker,
    timeoutMs: deps.timeoutMs,
  });
  return { maxMessageBytes: probe.maxMessageBytes, trustPolicyOpen: trustPolicyOpenOf(wrongExternalId) };
}
