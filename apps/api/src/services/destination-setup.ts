import type { AwsIdentity } from '@sluice/aws/service-identity';
import { buildTrustPolicy, trustPrincipal } from '@sluice/aws/trust-policy';
import type { DestinationRow } from '@sluice/db/schema/destinations';
import type { IamPermissions } from '@sluice/destinations/types';
import { stringify } from 'yaml';

/**
 * What a customer creates in their AWS account for one destination: a role that trusts only
 * Sluice's principal with this destination's ExternalId, allowed only the adapter's actions on
 * this one resource. The CloudFormation template names the role as auth.roleArn does, so the
 * role it creates is the one Sluice will assume.
 */
export function buildDestinationSetup(row: DestinationRow, identity: AwsIdentity, permissions: IamPermissions) {
  const permissionsPolicy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SluiceDelivery',
        Effect: 'Allow',
        Action: permissions.actions,
        Resource: permissions.resource,
      },
    ],
  };
  const principal = trustPrincipal(identity);
  if (row.authMode !== 'assume_role' || !row.externalId) {
    return {
      principal,
      externalId: null,
      roleName: null,
      trustPolicy: null,
      permissionsPolicy,
      cloudFormationTemplate: null,
    };
  }
  const trustPolicy = buildTrustPolicy({ identity, externalId: row.externalId });
  // A role ARN's name is its last path segment; IAM paths (role/team/name) are kept as Path.
  const rolePath = /:role\/(.+)$/.exec(row.roleArn ?? '')?.[1] ?? 'SluiceDelivery';
  const segments = rolePath.split('/');
  const roleName = segments.pop() ?? 'SluiceDelivery';
  const path = segments.length > 0 ? `/${segments.join('/')}/` : undefined;
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `Lets Sluice deliver to ${permissions.resource} (destination ${row.name}, ${row.id})`,
    Resources: {
      SluiceDeliveryRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: roleName,
          ...(path ? { Path: path } : {}),
          Description: `Assumed by Sluice with ExternalId for destination ${row.id}`,
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: trustPolicy,
          Policies: [{ PolicyName: 'sluice-delivery', PolicyDocument: permissionsPolicy }],
        },
      },
    },
    Outputs: {
      RoleArn: {
        Description: 'Give this ARN to Sluice as auth.roleArn',
        Value: { 'Fn::GetAtt': ['SluiceDeliveryRole', 'Arn'] },
      },
    },
  };
  return {
    principal,
    externalId: row.externalId,
    roleName,
    trustPolicy: { ...trustPolicy },
    permissionsPolicy,
    cloudFormationTemplate: stringify(template, { lineWidth: 0 }),
  };
}

/** An identity from a configured principal ARN (SERVICE_PRINCIPAL_ARN). */
export function identityFromArn(arn: string): AwsIdentity {
  return { account: arn.split(':')[4] ?? '', arn, userId: '' };
}
