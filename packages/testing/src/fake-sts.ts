import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './aws-loopback.ts';

/**
 * A fake AWS STS (query protocol) for tests: AssumeRole with a trust policy that checks the
 * ExternalId (or, as a careless customer's would, does not) and whether session tags are
 * allowed, and GetCallerIdentity. No emulator answers AssumeRole, and AccessDenied is the case
 * that matters most (a customer's trust policy that does not name Sluice's ExternalId).
 */

/** Sluice's own account as this STS reports it: not the emulators' 000000000000, where customers' roles live. */
export const FAKE_STS_ACCOUNT = '999988887777';
export const FAKE_STS_CALLER_ARN = `arn:aws:iam::${FAKE_STS_ACCOUNT}:user/sluice`;

export interface AssumeRoleCall {
  action: 'AssumeRole';
  roleArn: string;
  externalId: string | undefined;
  sessionName: string;
  durationSeconds: number;
  /** The session policy, as sent (JSON text). */
  policy: string | undefined;
  tags: Array<{ key: string; value: string }>;
  sourceIdentity: string | undefined;
  outcome: 'issued' | 'denied' | 'invalid';
}

export interface TrustOptions {
  /** The trust policy also allows sts:TagSession (default true); without it, a tagged AssumeRole is denied. */
  tagSession?: boolean;
}

export interface GetCallerIdentityCall {
  action: 'GetCallerIdentity';
  /** The access key that signed the call. */
  accessKeyId: string | undefined;
}

export type StsCall = AssumeRoleCall | GetCallerIdentityCall;

export interface IssuedCredentials {
  accessKeyId: string;
  roleArn: string;
  sessionName: string;
  expiration: Date;
}

export interface FakeSts {
  readonly endpoint: string;
  /** Every request, in order. */
  readonly calls: StsCall[];
  readonly issued: IssuedCredentials[];
  /** Trust policy: the role may be assumed by Sluice with exactly this ExternalId. */
  allowRole(roleArn: string, externalId: string, options?: TrustOptions): void;
  /** A trust policy with no sts:ExternalId condition: any ExternalId (or none) is accepted. */
  allowRoleWithoutExternalId(roleArn: string, options?: TrustOptions): void;
  revokeRole(roleArn: string): void;
  /** GetCallerIdentity signed with this key answers InvalidClientTokenId (a wrong or deleted access key). */
  denyAccessKey(accessKeyId: string): void;
  /** Lifetime of issued credentials regardless of DurationSeconds (to test refresh); null restores it. */
  setCredentialLifetime(seconds: number | null): void;
  assumeRoleCalls(roleArn?: string): AssumeRoleCall[];
  reset(): void;
  stop(): Promise<void>;
}

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
// STS's documented RoleSessionName pattern.
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

const escapeXml = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function errorXml(type: 'Sender' | 'Receiver', code: string, message: string): string {
  return (
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${code}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}

async function readParams(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  // The query API also accepts parameters in the URL.
  for (const [key, value] of new URL(request.url ?? '/', 'http://sts').searchParams) {
    if (!params.has(key)) params.set(key, value);
  }
  return params;
}

const TAG = /^Tags\.member\.(\d+)\.(Key|Value)$/;

function tagsOf(params: URLSearchParams): Array<{ key: string; value: string }> {
  const byIndex = new Map<number, { key: string; value: string }>();
  for (const [name, value] of params) {
    const match = TAG.exec(name);
    if (!match) continue;
    const tag = byIndex.get(Number(match[1])) ?? { key: '', value: '' };
    if (match[2] === 'Key') tag.key = value;
    else tag.value = value;
    byIndex.set(Number(match[1]), tag);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, tag]) => tag);
}

/** STS's limits on a session policy: JSON, at most 2,048 characters. */
function policyProblem(policy: string | undefined): string | null {
  if (policy === undefined) return null;
  if (policy.length > 2048) return 'Policy exceeds 2048 characters.';
  try {
    JSON.parse(policy);
    return null;
  } catch {
    return 'The policy is not valid JSON.';
  }
}

export async function startFakeSts(): Promise<FakeSts> {
  // null: the trust policy has no sts:ExternalId condition.
  const trust = new Map<string, { externalId: string | null; tagSession: boolean }>();
  const calls: StsCall[] = [];
  const issued: IssuedCredentials[] = [];
  const deniedKeys = new Set<string>();
  let lifetimeSeconds: number | null = null;

  function send(response: ServerResponse, status: number, body: string) {
    response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
    response.end(body);
  }

  function assumeRole(params: URLSearchParams, response: ServerResponse) {
    const roleArn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    const externalId = params.get('ExternalId') ?? undefined;
    const durationSeconds = Number(params.get('DurationSeconds') ?? '3600');
    const policy = params.get('Policy') ?? undefined;
    const tags = tagsOf(params);
    const call: AssumeRoleCall = {
      action: 'AssumeRole',
      roleArn,
      externalId,
      sessionName,
      durationSeconds,
      policy,
      tags,
      sourceIdentity: params.get('SourceIdentity') ?? undefined,
      outcome: 'invalid',
    };
    calls.push(call);

    const malformed = policyProblem(policy);
    if (malformed) return send(response, 400, errorXml('Sender', 'MalformedPolicyDocument', malformed));
    if (!SESSION_NAME.test(sessionName)) {
      return send(
        response,
        400,
        errorXml(
          'Sender',
          'ValidationError',
          `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
        ),
      );
    }
    if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43_200) {
      return send(
        response,
        400,
        errorXml(
          'Sender',
          'ValidationError',
          `The requested DurationSeconds ${durationSeconds} is outside 900..43200.`,
        ),
      );
    }
    const policyOfRole = trust.get(roleArn);
    const deny = (action: string) => {
      call.outcome = 'denied';
      send(
        response,
        403,
        errorXml(
          'Sender',
          'AccessDenied',
          `User: ${FAKE_STS_CALLER_ARN} is not authorized to perform: ${action} on resource: ${roleArn}`,
        ),
      );
    };
    if (!policyOfRole || (policyOfRole.externalId !== null && policyOfRole.externalId !== externalId)) {
      return deny('sts:AssumeRole');
    }
    if (tags.length > 0 && !policyOfRole.tagSession) return deny('sts:TagSession');

    call.outcome = 'issued';
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const expiration = new Date(Date.now() + (lifetimeSeconds ?? durationSeconds) * 1000);
    issued.push({ accessKeyId, roleArn, sessionName, expiration });
    const roleName = roleArn.split('/').pop() ?? 'role';
    const account = roleArn.split(':')[4] ?? FAKE_STS_ACCOUNT;
    send(
      response,
      200,
      `<AssumeRoleResponse xmlns="${XMLNS}"><AssumeRoleResult>` +
        `<AssumedRoleUser><Arn>arn:aws:sts::${account}:assumed-role/${escapeXml(roleName)}/${escapeXml(sessionName)}</Arn>` +
        `<AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${escapeXml(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId>` +
        `<SecretAccessKey>${randomBytes(30).toString('base64')}</SecretAccessKey>` +
        `<SessionToken>${randomBytes(60).toString('base64')}</SessionToken>` +
        `<Expiration>${expiration.toISOString()}</Expiration></Credentials>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  }

  /** Answers as whoever signed: a session this fake issued, a denied key, or Sluice itself. */
  function getCallerIdentity(request: IncomingMessage, response: ServerResponse) {
    const accessKeyId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1];
    calls.push({ action: 'GetCallerIdentity', accessKeyId });
    if (accessKeyId && deniedKeys.has(accessKeyId)) {
      return send(
        response,
        403,
        errorXml('Sender', 'InvalidClientTokenId', 'The security token included in the request is invalid.'),
      );
    }
    const session = issued.find((credentials) => credentials.accessKeyId === accessKeyId);
    const account = session ? (session.roleArn.split(':')[4] ?? FAKE_STS_ACCOUNT) : FAKE_STS_ACCOUNT;
    const arn = session
      ? `arn:aws:sts::${account}:assumed-role/${session.roleArn.split('/').pop() ?? 'role'}/${session.sessionName}`
      : FAKE_STS_CALLER_ARN;
    send(
      response,
      200,
      `<GetCallerIdentityResponse xmlns="${XMLNS}"><GetCallerIdentityResult>` +
        `<Arn>${escapeXml(arn)}</Arn><UserId>AIDAFAKESLUICE0000000</UserId><Account>${account}</Account>` +
        `</GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  }

  const server = createServer((request, response) => {
    readParams(request).then(
      (params) => {
        const action = params.get('Action');
        if (action === 'AssumeRole') return assumeRole(params, response);
        if (action === 'GetCallerIdentity') return getCallerIdentity(request, response);
        send(response, 400, errorXml('Sender', 'InvalidAction', `Unknown action ${action ?? '(none)'}`));
      },
      () => send(response, 500, errorXml('Receiver', 'InternalFailure', 'could not read the request')),
    );
  });
  const port = await listenOnLoopback(server);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    issued,
    allowRole: (roleArn, externalId, options = {}) =>
      void trust.set(roleArn, { externalId, tagSession: options.tagSession ?? true }),
    allowRoleWithoutExternalId: (roleArn, options = {}) =>
      void trust.set(roleArn, { externalId: null, tagSession: options.tagSession ?? true }),
    revokeRole: (roleArn) => void trust.delete(roleArn),
    denyAccessKey: (accessKeyId) => void deniedKeys.add(accessKeyId),
    setCredentialLifetime: (seconds) => {
      lifetimeSeconds = seconds;
    },
    assumeRoleCalls: (roleArn) =>
      calls.filter(
        (call): call is AssumeRoleCall => call.action === 'AssumeRole' && (!roleArn || call.roleArn === roleArn),
      ),
    reset: () => {
      trust.clear();
      deniedKeys.clear();
      calls.length = 0;
      issued.length = 0;
      lifetimeSeconds = null;
    },
    stop: () => closeServer(server),
  };
}
