import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for the few secrets Sluice stores (customers' AWS secret access keys).
 * Each sealed value names the key that sealed it, so the key can be rotated: new values
 * are sealed under the current key while values sealed under a previous key still open.
 */

/** JSON-serialisable; every field but keyId is base64. */
export interface SealedSecret {
  keyId: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

export interface SecretBox {
  /** The id of the key new values are sealed under (to find values that still need re-sealing). */
  readonly currentKeyId: string;
  /** The ids of the older keys in the ring (ENCRYPTION_KEYS_PREVIOUS): they only open. */
  readonly previousKeyIds: readonly string[];
  seal(plaintext: string): SealedSecret;
  open(sealed: SealedSecret): string;
}

export interface SecretBoxKeys {
  currentKey: Buffer;
  previousKeys?: Buffer[];
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const KEY_BYTES = 32;
// 96-bit IVs are GCM's native size; random IVs are safe far beyond the number of secrets stored here.
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A short, stable fingerprint of a key: not secret-revealing, enough to pick the key from a small ring. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function createSecretBox({ currentKey, previousKeys = [] }: SecretBoxKeys): SecretBox {
  const ring = new Map<string, Buffer>();
  for (const key of [currentKey, ...previousKeys]) {
    if (key.length !== KEY_BYTES) {
      throw new SecretBoxError(`An encryption key must be ${KEY_BYTES} bytes; got ${key.length}.`);
    }
    const id = keyIdOf(key);
    if (!ring.has(id)) ring.set(id, key);
  }
  const currentKeyId = keyIdOf(currentKey);

  return {
    currentKeyId,
    previousKeyIds: [...ring.keys()].filter((id) => id !== currentKeyId),

    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', currentKey, iv);
      // The key id is authenticated too, so a value cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(currentKeyId, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return {
        keyId: currentKeyId,
        iv: iv.toString('base64'),
        ciphertext: ciphertext.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
      };
    },

    open(sealed) {
      const key = ring.get(sealed.keyId);
      if (!key) {
        throw new SecretBoxError(
          `This secret was sealed with key ${sealed.keyId}, which is not among the configured keys ` +
            `(${[...ring.keys()].join(', ')}). Add the old key to the previous keys to read it.`,
        );
      }
      const iv = Buffer.from(sealed.iv, 'base64');
      const tag = Buffer.from(sealed.tag, 'base64');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
        throw new SecretBoxError('The sealed secret is malformed (bad IV or tag length).');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(sealed.keyId, 'utf8'));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        // GCM reports every tampering the same way; the cause carries nothing useful.
        throw new SecretBoxError('The sealed secret failed authentication: it was altered or sealed with another key.');
      }
    },
  };
}

/** Narrows unknown JSON (e.g. a jsonb column) to a SealedSecret, so callers need no casts. */
export function isSealedSecret(value: unknown): value is SealedSecret {
  if (typeof value !== 'object' || value === null) return false;
  const record: Record<string, unknown> = { ...value };
  return ['keyId', 'iv', 'ciphertext', 'tag'].every((field) => typeof record[field] === 'string');
}
