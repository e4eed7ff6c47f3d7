import type { SecretBox } from '@sluice/aws/secret-box';
import { errorResponses } from '@sluice/contracts/common';
import { encryptionKeysSchema } from '@sluice/contracts/encryption-keys';
import type { SealedSecrets } from '@sluice/db/repositories/sealed-secrets';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';

/** Where a key rotation stands: how many stored secrets each key sealed, and whether the old keys are still needed. */
export function adminEncryptionKeyRoutes(deps: {
  sealedSecrets: Pick<SealedSecrets, 'countByKey'>;
  secrets: Pick<SecretBox, 'currentKeyId' | 'previousKeyIds'>;
}): FastifyPluginAsyncZodOpenApi {
  return async (app) => {
    app.get('/v1/admin/encryption-keys', {
      config: { access: 'operator' as const },
      schema: {
        tags: ['Operations'],
        operationId: 'getEncryptionKeys',
        summary: 'Where a key rotation stands',
        description:
          'After a rotation (new ENCRYPTION_KEY, old one in ENCRYPTION_KEYS_PREVIOUS) the worker re-seals every stored ' +
          'secret under the current key; rotationComplete says when the previous keys can be removed.',
        response: { 200: encryptionKeysSchema, ...errorResponses(401, 403) },
      },
      handler: async () => {
        const { currentKeyId, previousKeyIds } = deps.secrets;
        const byKey = await deps.sealedSecrets.countByKey();
        const count = (keyIds: Iterable<string>) => [...keyIds].reduce((sum, id) => sum + (byKey.get(id) ?? 0), 0);
        const known = new Set([currentKeyId, ...previousKeyIds]);
        const total = count(byKey.keys());
        const underPreviousKeys = count(previousKeyIds);
        return {
          currentKeyId,
          previousKeyIds: [...previousKeyIds],
          secrets: {
            total,
            byKeyId: Object.fromEntries(byKey),
            underPreviousKeys,
            unreadable: count([...byKey.keys()].filter((id) => !known.has(id))),
          },
          rotationComplete: underPreviousKeys === 0,
        };
      },
    });
  };
}
