import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, isSealedSecret, keyIdOf, SecretBoxError } from '../src/secret-box.ts';

const keyA = randomBytes(32);
const keyB = randomBytes(32);

describe('secret box', () => {
  it('round-trips, with a fresh IV each time and the key id beside the ciphertext', () => {
    const box = createSecretBox({ currentKey: keyA });
    const first = box.seal('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    const second = box.seal('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(box.open(first)).toBe('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(first.iv).not.toBe(second.iv);
    expect(first.ciphertext).not.toBe(second.ciphertext);
    expect(first.keyId).toBe(keyIdOf(keyA));
    expect(first.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(JSON.stringify(first)).not.toContain('EXAMPLEKEY');
    expect(box.open(JSON.parse(JSON.stringify(first)))).toBe('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(box.open(box.seal(''))).toBe('');
    expect(box.open(box.seal('ünïcødé ✓'))).toBe('ünïcødé ✓');
  });

  it.each([
    [
      'ciphertext',
      (s: string) => Buffer.from(Buffer.from(s, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64'),
    ],
    [
      'tag',
      (s: string) => Buffer.from(Buffer.from(s, 'base64').map((b, i) => (i === 3 ? b ^ 1 : b))).toString('base64'),
    ],
    [
      'iv',
      (s: string) => Buffer.from(Buffer.from(s, 'base64').map((b, i) => (i === 5 ? b ^ 1 : b))).toString('base64'),
    ],
  ] as const)('detects a tampered %s', (field, tamper) => {
    const box = createSecretBox({ currentKey: keyA });
    const sealed = box.seal('secret');
    expect(() => box.open({ ...sealed, [field]: tamper(sealed[field]) })).toThrow(/failed authentication/);
  });

  it('refuses a value relabelled to another key of the ring', () => {
    const box = createSecretBox({ currentKey: keyA, previousKeys: [keyB] });
    const sealed = box.seal('secret');
    expect(() => box.open({ ...sealed, keyId: keyIdOf(keyB) })).toThrow(SecretBoxError);
  });

  it('opens values sealed under a previous key after rotation, and seals under the new one', () => {
    const before = createSecretBox({ currentKey: keyA });
    const old = before.seal('rotated secret');
    const after = createSecretBox({ currentKey: keyB, previousKeys: [keyA] });
    expect(after.open(old)).toBe('rotated secret');
    expect(after.seal('x').keyId).toBe(keyIdOf(keyB));
    expect(after.currentKeyId).toBe(keyIdOf(keyB));
  });

  it('says which key is missing when a value was sealed with an unknown key', () => {
    const sealed = createSecretBox({ currentKey: keyA }).seal('secret');
    const other = createSecretBox({ currentKey: keyB });
    expect(() => other.open(sealed)).toThrow(
      `This secret was sealed with key ${keyIdOf(keyA)}, which is not among the configured keys (${keyIdOf(keyB)})`,
    );
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => createSecretBox({ currentKey: randomBytes(16) })).toThrow('must be 32 bytes; got 16');
  });

  it('recognises sealed values read back as unknown JSON', () => {
    const sealed = createSecretBox({ currentKey: keyA }).seal('x');
    expect(isSealedSecret(JSON.parse(JSON.stringify(sealed)))).toBe(true);
    expect(isSealedSecret({ keyId: 'a', iv: 'b' })).toBe(false);
    expect(isSealedSecret('x')).toBe(false);
  });
});
