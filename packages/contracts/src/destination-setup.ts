import { z } from 'zod';

const policyDocument = z.record(z.string(), z.unknown());

export const destinationSetupSchema = z
  .object({
    principal: z.string().meta({ description: "Sluice's AWS principal, the one the trust policy names" }),
    externalId: z.string().nullable().meta({ description: 'This destination’s ExternalId (assume_role)' }),
    roleName: z.string().nullable().meta({ description: 'The role name of auth.roleArn, used by the template' }),
    trustPolicy: policyDocument
      .nullable()
      .meta({ description: "The role's trust policy: Sluice's principal with this ExternalId; null for access_key" }),
    permissionsPolicy: policyDocument.meta({ description: 'The least actions on this one resource' }),
    cloudFormationTemplate: z
      .string()
      .nullable()
      .meta({ description: 'CloudFormation (YAML) that creates the role with both policies; null for access_key' }),
  })
  .meta({ id: 'DestinationSetup' });
