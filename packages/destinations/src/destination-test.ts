import { randomUUID } from 'node:crypto';
import type { WrongExternalIdAnswer } from '@sluice/aws/assume-role';
import type { AwsClientCache } from '@sluice/aws/clients';
import type { CredentialBroker, DestinationCredentials } from '@sluice/aws/credentials';
import type { ConfiguredDestination } from './bound-destination.ts';
import { classifyWith } from './error-classification.ts';
import { describeAwsFailure } from './failure-messages.ts';
import { TRUST_POLICY_WITHOUT_EXTERNAL_ID, trustPolicyCheck } from './trust-check.ts';
import type { DeliverableEvent, DestinationCheck, OutgoingMessage } from './types.ts';

/**
 * `POST /v1/destinations/{id}/test`: can Sluice act as the destination's credentials, does the
 * role refuse other ExternalIds (assume_role), does the resource exist with the expected
 * FIFO-ness (and what size it accepts), and does a message of eventType `sluice.test` arrive.
 * Each step is reported, so a failure says which one to fix.
 */

export const TEST_EVENT_TYPE = 'sluice.test';

export interface DestinationTestInput {
  destination: ConfiguredDestination;
  credentials: DestinationCredentials;
  clients: AwsClientCache;
  broker: Pick<CredentialBroker, 'identityOf' | 'checkExternalId'>;
  tenantId: string;
  destinationId: string;
  customerExternalId: string;
  now?: () => Date;
}

export interface DestinationTestResult {
  ok: boolean;
  /** Wall time of the whole test, credentials included. */
  latencyMs: number;
  providerMessageId?: string;
  checks: DestinationCheck[];
  /** The first failed check's code and message. */
  error?: { code: string; message: string };
  /** What the destination accepts, when the attributes could be read (store it for payload_too_large checks). */
  maxMessageBytes: number | null;
  /** How the role answered a wrong ExternalId; null for access keys (store it: an accepting role is held). */
  wrongExternalId: WrongExternalIdAnswer | null;
}

export function testEvent(input: { destinationId: string; customerExternalId: string; now: Date }): DeliverableEvent {
  const id = `evt_test_${randomUUID()}`;
  const at = input.now.toISOString();
  return {
    id,
    eventType: TEST_EVENT_TYPE,
    occurredAt: at,
    source: 'sluice',
    customerExternalId: input.customerExternalId,
    idempotencyKey: `sluice-test-${id}`,
    payload: {
      message: 'A test message from Sluice: the destination is reachable.',
      destinationId: input.destinationId,
    },
    receivedAt: at,
  };
}

async function checkCredentials(input: DestinationTestInput): Promise<{ check: DestinationCheck; code?: string }> {
  const { credentials } = input;
  try {
    const identity = await input.broker.identityOf(credentials);
    const detail =
      credentials.mode === 'assume_role'
        ? `Assumed ${credentials.principal} with its ExternalId; calls are made as ${identity.arn}.`
        : `The access key ${credentials.principal} belongs to ${identity.arn}.`;
    return { check: { name: 'credentials', ok: true, detail } };
  } catch (error) {
    const failure = classifyWith(
      error,
      describeAwsFailure({
        service: 'STS',
        action: 'sts:GetCallerIdentity',
        noun: 'identity',
        resource: undefined,
        principal: credentials.principal,
        region: input.destination.region,
      }),
    );
    return { check: { name: 'credentials', ok: false, detail: failure.message }, code: failure.code };
  }
}

export async function testDestination(input: DestinationTestInput): Promise<DestinationTestResult> {
  const started = performance.now();
  const now = input.now ?? (() => new Date());
  const sendCtx = { clients: input.clients, credentials: input.credentials };
  const checks: DestinationCheck[] = [];
  let error: DestinationTestResult['error'];
  const fail = (check: DestinationCheck, code: string) => {
    error ??= { code, message: check.detail };
  };
  const finish = (extra: Partial<DestinationTestResult> = {}): DestinationTestResult => ({
    ok: error === undefined && checks.every((check) => check.ok),
    latencyMs: Math.round(performance.now() - started),
    checks,
    ...(error ? { error } : {}),
    maxMessageBytes: null,
    wrongExternalId,
    ...extra,
  });

  const { credentials: destinationCredentials } = input;
  const role =
    destinationCredentials.mode === 'assume_role' && destinationCredentials.externalId
      ? { roleArn: destinationCredentials.principal, externalId: destinationCredentials.externalId }
      : null;
  const [credentials, wrongExternalId] = await Promise.all([
    checkCredentials(input),
    role ? input.broker.checkExternalId(role.roleArn) : null,
  ]);
  checks.push(credentials.check);
  if (role && wrongExternalId && credentials.check.ok) {
    const trust = trustPolicyCheck(wrongExternalId, role);
    checks.push(trust);
    if (!trust.ok) fail(trust, TRUST_POLICY_WITHOUT_EXTERNAL_ID);
  }
  if (!credentials.check.ok) {
    fail(credentials.check, credentials.code ?? 'credentials_failed');
    const skipped = 'Skipped: the credentials check failed.';
    checks.push({ name: 'attributes', ok: false, detail: skipped }, { name: 'send', ok: false, detail: skipped });
    return finish();
  }

  const probe = await input.destination.probe(sendCtx);
  checks.push(...probe.checks);
  const failedProbe = probe.checks.find((check) => !check.ok);
  if (failedProbe) fail(failedProbe, probe.failureCode ?? 'attributes_check_failed');

  // Sent even when the attributes could not be read: a role may send without reading, and the
  // answer tells the customer more than a skipped step would. Sent as the event JSON, without the
  // destination's transform: this checks the way to the destination (preview checks the transform).
  const message: OutgoingMessage = {
    deliveryId: `test_${randomUUID()}`,
    event: testEvent({ destinationId: input.destinationId, customerExternalId: input.customerExternalId, now: now() }),
  };
  const plan = input.destination.plan(input.destination.untransformed([message]), probe.maxMessageBytes);
  const [call] = plan.calls;
  const [outcome] = call ? (await call.send(sendCtx)).outcomes : plan.rejected;
  if (outcome?.ok) {
    checks.push({ name: 'send', ok: true, detail: `Sent a ${TEST_EVENT_TYPE} message.` });
    return finish({ providerMessageId: outcome.providerMessageId, maxMessageBytes: probe.maxMessageBytes });
  }
  const detail = outcome ? outcome.failure.message : 'The message was not sent.';
  const check = { name: 'send', ok: false, detail };
  checks.push(check);
  fail(check, outcome ? outcome.failure.code : 'send_failed');
  return finish({ maxMessageBytes: probe.maxMessageBytes });
}
