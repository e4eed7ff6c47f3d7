import { z } from 'zod';

/** GET /v1/admin/encryption-keys: where a key rotation stands (operator only; key ids are fingerprints). */
export const encryptionKeysSchema = z
  .object({
    currentKeyId: z.string().meta({ description: 'Fingerprint of ENCRYPTION_KEY: new secrets are sealed under it' }),
    previousKeyIds: z.array(z.string()).meta({ description: 'Fingerprints of ENCRYPTION_KEYS_PREVIOUS, in order' }),
    secrets: z.object({
      total: z.number().int(),
      byKeyId: z.record(z.string(), z.number().int()).meta({ description: 'Stored secrets per sealing key' }),
      underPreviousKeys: z
        .number()
        .int()
        .meta({ description: 'Sealed under a previous key: the worker re-seals them under the current key' }),
      unreadable: z.number().int().meta({
        description: 'Sealed under a key in neither setting: their destinations need a new secret (PATCH auth)',
      }),
    }),
    rotationComplete: z.boolean().meta({
      description: 'No stored secret needs a previous key: ENCRYPTION_KEYS_PREVIOUS can be emptied',
    }),
  })
  .meta({ id: 'EncryptionKeys' });
