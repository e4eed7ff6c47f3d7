import { z } from 'zod';

/**
 * Rules for the AWS names inside destination configs (regions, account ids, ARNs), each with
 * a message that says what was expected. Shared by the three config schemas.
 */

// us-east-1, eu-central-2, ap-southeast-5, us-gov-west-1, il-central-1 ...
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
// Emulators use other account ids (LocalStack and fauxqs 000000000000, moto 123456789012, some 1).
const EMULATOR_ACCOUNT = /^\d{1,12}$/;

export function regionProblem(region: string): string | null {
  return REGION.test(region) ? null : `"${region}" is not an AWS region; expected one like us-east-1 or eu-west-2`;
}

export function accountProblem(account: string, allowEmulator: boolean): string | null {
  if (ACCOUNT.test(account)) return null;
  if (allowEmulator && EMULATOR_ACCOUNT.test(account)) return null;
  if (/^\d+$/.test(account)) {
    const digits = account.length === 1 ? '1 digit' : `${account.length} digits`;
    return `account id "${account}" has ${digits}; AWS account ids have exactly 12`;
  }
  return `account id "${account}" must be 12 digits`;
}

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Splits `arn:<partition>:<service>:<region>:<account>:<resource>`; null when it has fewer parts. */
export function parseArn(value: string): ParsedArn | null {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

export interface Problem {
  path: string;
  message: string;
}

/** Adds a problem to a zod refinement context under the config field it concerns. */
export function report(ctx: z.RefinementCtx, problems: Problem[]): void {
  for (const problem of problems) ctx.addIssue({ code: 'custom', path: [problem.path], message: problem.message });
}

/** A strict object schema whose unknown-field and wrong-type messages name the fields it takes. */
export function configObject<TShape extends z.ZodRawShape>(shape: TShape, description: string) {
  const fields = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys')
        return `unknown field(s) ${issue.keys.join(', ')}; ${description} takes ${fields}`;
      if (issue.code === 'invalid_type' && (issue.path ?? []).length === 0)
        return `must be an object: ${description} takes ${fields}`;
      return undefined;
    },
  });
}

/** Region: the one in the URL or ARN, or the configured one, which must agree with it. */
export function resolveRegion(
  fromResource: string | null,
  configured: string | undefined,
  resourceField: string,
): { region: string } | { problem: Problem } {
  if (configured !== undefined) {
    const problem = regionProblem(configured);
    if (problem) return { problem: { path: 'region', message: problem } };
    if (fromResource !== null && fromResource !== configured) {
      return {
        problem: {
          path: 'region',
          message: `region "${configured}" differs from the ${resourceField}'s region "${fromResource}"; omit region or make them match`,
        },
      };
    }
    return { region: configured };
  }
  if (fromResource !== null) return { region: fromResource };
  return { problem: { path: 'region', message: `region is required because the ${resourceField} does not name one` } };
}

/** How one kind of resource ARN (arn:aws:<service>:<region>:<account>:<prefix><name>) is checked. */
export interface NamedArnRule {
  /** The config field that holds it. */
  field: string;
  service: string;
  resourcePrefix: string;
  /** E.g. "a Kinesis stream ARN". */
  kind: string;
  format: string;
  noun: string;
  name: RegExp;
  nameRule: string;
}

export interface NamedArnParts {
  region: string;
  account: string;
  name: string;
}

/** Splits an ARN of the rule's kind into region, account and name; a list of problems when it is not one. */
export function parseNamedArn(value: string, rule: NamedArnRule, allowEmulator: boolean): NamedArnParts | Problem[] {
  const arn = parseArn(value);
  const problem = (message: string): Problem => ({ path: rule.field, message });
  if (arn?.partition !== 'aws' || arn.service !== rule.service || !arn.resource.startsWith(rule.resourcePrefix)) {
    return [problem(`"${value}" is not ${rule.kind}; expected ${rule.format}`)];
  }
  const problems: Problem[] = [];
  const regionIssue = regionProblem(arn.region);
  if (regionIssue) problems.push(problem(`${regionIssue}; expected ${rule.format}`));
  const accountIssue = accountProblem(arn.account, allowEmulator);
  if (accountIssue) problems.push(problem(`${accountIssue}; expected ${rule.format}`));
  const name = arn.resource.slice(rule.resourcePrefix.length);
  if (!rule.name.test(name)) problems.push(problem(`"${name}" is not a valid ${rule.noun} name: ${rule.nameRule}`));
  return problems.length > 0 ? problems : { region: arn.region, account: arn.account, name };
}

/** A config's region from its parsed resource ARN and its own `region` (see resolveRegion); null once problems are reported. */
export function regionOfArn(
  refinement: z.RefinementCtx,
  parts: NamedArnParts | Problem[],
  configured: string | undefined,
  locator: string,
): string | null {
  if (Array.isArray(parts)) {
    report(refinement, parts);
    return null;
  }
  const region = resolveRegion(parts.region, configured, locator);
  if ('problem' in region) {
    report(refinement, [region.problem]);
    return null;
  }
  return region.region;
}
