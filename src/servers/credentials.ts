// The admin URLs of added servers, stored encrypted: AES-256-GCM under a key derived (HKDF-SHA256) from
// TENANT_DB_SECRET, so that the master database alone, or a backup of it, gives no one the servers' admin logins.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const VERSION = 'v1'

function keyFrom (secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'tenancy', 'server admin credentials', 32))
}

export function encryptCredential (secret: string, plaintext: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret), iv)
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':')
}

/** Throws when the text was not made with this secret (or was altered): GCM authenticates as it decrypts. */
export function decryptCredential (secret: string, stored: string): string {
  const [version, iv, tag, ciphertext] = stored.split(':')
  if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) throw new Error('unknown credential format')
  const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret), Buffer.from(iv, 'base64'))
  decipher.setAuthTag(Buffer.from(tag, 'base64'))
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8')
}
