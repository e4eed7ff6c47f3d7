import type { SecretBox } from '@sluice/aws/secret-box';
import type { SealedSecrets } from '@sluice/db/repositories/sealed-secrets';
import type { Logger } from '@sluice/logger/logger';
import { createPeriodicTask } from './periodic-task.ts';

/**
 * Completes a key rotation: every stored secret sealed under an older key of the ring
 * (ENCRYPTION_KEYS_PREVIOUS) is opened and sealed again under the current key, in bounded
 * batches. Once none is left it says so, in the log and in GET /v1/admin/encryption-keys, and
 * the previous keys can be removed from the configuration.
 */

export interface ResealerOptions {
  intervalMs: number;
  firstRunMs: number;
  batchSize: number;
  /** Batches per pass: a pass never holds the process for long; the next continues. */
  maxBatches: number;
}

export const defaultResealerOptions: ResealerOptions = {
  intervalMs: 60_000,
  firstRunMs: 5_000,
  batchSize: 100,
  maxBatches: 10,
};

export interface ResealPass {
  resealed: number;
  /** Secrets no key of the ring opens: they stay as they are (the tenant must PATCH a new secret). */
  unreadable: number;
  /** Secrets still sealed under a previous key of the ring after this pass. */
  underPreviousKeys: number;
}

const FIRST_ID = '00000000-0000-0000-0000-000000000000';

export function createSecretResealer(deps: {
  sealedSecrets: SealedSecrets;
  secrets: Pick<SecretBox, 'currentKeyId' | 'previousKeyIds' | 'open' | 'seal'>;
  logger: Logger;
  options?: Partial<ResealerOptions>;
}) {
  const options = { ...defaultResealerOptions, ...deps.options };
  const { secrets } = deps;
  let reportedComplete = false;
  let lastUnreadable = 0;
  // Where the last pass stopped: secrets no key opens stay listed, and must not hold the rest up.
  let cursor = FIRST_ID;

  async function resealOnce(): Promise<ResealPass> {
    let resealed = 0;
    let unreadable = 0;
    for (let batch = 0; batch < options.maxBatches; batch++) {
      const stored = await deps.sealedSecrets.listSealedUnderOtherKeys(secrets.currentKeyId, cursor, options.batchSize);
      for (const { id, sealed } of stored) {
        cursor = id;
        let plaintext: string;
        try {
          plaintext = secrets.open(sealed);
        } catch {
          unreadable += 1;
          continue;
        }
        if (await deps.sealedSecrets.replace(id, sealed, secrets.seal(plaintext))) resealed += 1;
      }
      if (stored.length < options.batchSize) {
        cursor = FIRST_ID;
        break;
      }
    }
    const byKey = await deps.sealedSecrets.countByKey();
    const underPreviousKeys = secrets.previousKeyIds.reduce((sum, keyId) => sum + (byKey.get(keyId) ?? 0), 0);
    const pass = { resealed, unreadable, underPreviousKeys };
    if (resealed > 0) deps.logger.info(pass, 'secrets re-sealed under the current encryption key');
    if (unreadable > 0 && unreadable !== lastUnreadable) {
      deps.logger.warn(
        pass,
        'stored secrets that no configured encryption key opens: their destinations need a new secret',
      );
    }
    lastUnreadable = unreadable;
    if (underPreviousKeys === 0 && secrets.previousKeyIds.length > 0 && !reportedComplete) {
      reportedComplete = true;
      deps.logger.info(
        { currentKeyId: secrets.currentKeyId, previousKeyIds: secrets.previousKeyIds },
        'encryption key rotation complete: no stored secret needs a previous key; ENCRYPTION_KEYS_PREVIOUS can be emptied',
      );
    }
    return pass;
  }

  return createPeriodicTask({
    name: 'secret re-sealing',
    intervalMs: options.intervalMs,
    firstRunMs: options.firstRunMs,
    run: resealOnce,
    logger: deps.logger,
  });
}
