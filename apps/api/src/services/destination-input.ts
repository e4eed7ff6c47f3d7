import { randomBytes } from 'node:crypto';
import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import type { CreateDestinationInput, TransformInput, UpdateDestinationInput } from '@sluice/contracts/destinations';
import type { DestinationRow, NewDestinationRow } from '@sluice/db/schema/destinations';
import type { DestinationResolver } from '@sluice/destinations/resolver';
import { expressionProblem } from '@sluice/destinations/transform/transform-syntax';
import type { DestinationType } from '@sluice/destinations/types';
import { badRequest } from '@sluice/errors/app-error';

/**
 * A destination request's input made into columns: the config checked whole by its adapter
 * (a PATCH merged into the current one first), the transform parsed, the auth sealed, and
 * whether a config change regroups the pending deliveries.
 */

type AuthInput = CreateDestinationInput['auth'];
type AuthColumns = Required<
  Pick<NewDestinationRow, 'authMode' | 'roleArn' | 'externalId' | 'accessKeyId' | 'secretAccessKey' | 'secretHint'>
>;

// 32 random bytes: unguessable, and within STS's ExternalId alphabet and length.
const generateExternalId = () => `sluice-${randomBytes(32).toString('base64url')}`;

export function createDestinationInput(deps: {
  aws: Pick<AwsRuntime, 'secrets'>;
  resolver: Pick<DestinationResolver, 'validate'>;
}) {
  /** The adapter's problems as the answer's errors[], under the request's `config` field. */
  const configErrors = (errors: Array<{ path: string; message: string }>) =>
    errors.map((e) => ({ path: e.path ? `config.${e.path}` : 'config', message: e.message }));
  const problems = (count: number) => (count === 1 ? '1 problem' : `${count} problems`);

  /**
   * The config (checked whole by the type's adapter) and the transform (parsed), with every
   * problem of both in one 400. Either may be left out (a PATCH that does not change it).
   */
  function validated(
    type: DestinationType,
    raw: unknown,
    transform: TransformInput | null | undefined,
  ): { config?: Record<string, unknown> } {
    const result = raw === undefined ? undefined : deps.resolver.validate(type, raw);
    const errors = result && !result.ok ? configErrors(result.errors) : [];
    const expression = transform ? expressionProblem(transform.expression) : null;
    if (expression) errors.push({ path: 'transform.expression', message: expression });
    if (errors.length > 0) {
      const what = expression && errors.length === 1 ? "The transform's expression" : `The ${type} destination`;
      throw badRequest(`${what} has ${problems(errors.length)}.`, errors);
    }
    return result?.ok ? { config: { ...result.destination.config } } : {};
  }

  const transformColumn = (transform: TransformInput | null | undefined) =>
    transform ? { language: transform.language, expression: transform.expression } : null;

  /**
   * A PATCH's config: the current one without the values the schema derived (the region read
   * from the URL or ARN, the default group or partition field), then the client's fields on
   * top, where null removes a field (as in JSON Merge Patch). Derived values would otherwise pin
   * the old resource: a queue URL in another region, or a standard queue replacing a FIFO one,
   * would be refused for the old region or group field the client never chose.
   */
  function mergedConfig(current: DestinationRow, patch: Record<string, unknown>): Record<string, unknown> {
    const base: Record<string, unknown> = { ...current.config };
    for (const [field, value] of Object.entries(current.config)) {
      const { [field]: _dropped, ...without } = base;
      const rederived = deps.resolver.validate(current.type, without);
      if (!rederived.ok) continue;
      const normalised: Record<string, unknown> = { ...rederived.destination.config };
      if (normalised[field] === value) delete base[field];
    }
    const merged: Record<string, unknown> = { ...base, ...patch };
    for (const [field, value] of Object.entries(patch)) if (value === null) delete merged[field];
    return merged;
  }

  /**
   * Auth columns. The ExternalId, once generated, stays with the destination whatever the auth
   * changes to: the trust policy the customer pasted keeps working when the role changes, or
   * after a switch to access_key and back.
   */
  function authColumns(auth: AuthInput, current?: DestinationRow): AuthColumns {
    if (auth.mode === 'assume_role') {
      const externalId = current?.externalId ?? generateExternalId();
      return {
        authMode: 'assume_role',
        roleArn: auth.roleArn,
        externalId,
        accessKeyId: null,
        secretAccessKey: null,
        secretHint: null,
      };
    }
    return {
      authMode: 'access_key',
      roleArn: null,
      externalId: current?.externalId ?? null,
      accessKeyId: auth.accessKeyId,
      secretAccessKey: deps.aws.secrets.seal(auth.secretAccessKey),
      secretHint: auth.secretAccessKey.slice(-4),
    };
  }

  /**
   * Whether a new config forms FIFO groups differently (a new messageGroupIdField, a queue that
   * became FIFO or stopped being one): then the pending deliveries must be regrouped.
   */
  function groupsChange(current: DestinationRow, config: Record<string, unknown>): boolean {
    const before = deps.resolver.validate(current.type, current.config);
    const after = deps.resolver.validate(current.type, config);
    if (!before.ok || !after.ok) return true;
    if (!before.destination.isFifo && !after.destination.isFifo) return false;
    return (
      before.destination.isFifo !== after.destination.isFifo ||
      before.destination.config.messageGroupIdField !== after.destination.config.messageGroupIdField
    );
  }

  /**
   * The FIFO dead-letter policy for a config: the one asked for, else the current one. Only FIFO
   * queues and topics have groups to hold; asking for a policy on anything else is a 400 that
   * says why, and a destination that stops being FIFO goes back to the default (skip).
   */
  function fifoPolicy(
    type: DestinationType,
    config: Record<string, unknown>,
    fifo: UpdateDestinationInput['fifo'],
    current: DestinationRow['fifoOnDeadLetter'] = 'skip',
  ): DestinationRow['fifoOnDeadLetter'] {
    const configured = deps.resolver.validate(type, config);
    const isFifo = configured.ok && configured.destination.isFifo;
    if (fifo && !isFifo) {
      const why =
        type === 'sqs' || type === 'sns'
          ? `this ${type === 'sqs' ? 'queue' : 'topic'} is a standard one (a FIFO ${type === 'sqs' ? 'queue' : 'topic'}'s name ends in .fifo)`
          : `a ${type} destination has no message groups`;
      const message = `applies only to FIFO SQS queues and SNS topics: ${why}`;
      throw badRequest(`fifo ${message}.`, [{ path: 'fifo', message }]);
    }
    if (!isFifo) return 'skip';
    return fifo === undefined ? current : (fifo?.onDeadLetter ?? 'skip');
  }

  return { validated, transformColumn, mergedConfig, authColumns, groupsChange, fifoPolicy, configErrors, problems };
}
