import { createHash, randomBytes } from 'node:crypto';
import { InvalidParameter } from '../errdefs/index.js';

export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw new InvalidParameter(`invalid digest: ${JSON.stringify(s)}`);
  return s;
}

/** The 64 hex characters of a digest. */
export function hexOf(d: Digest): string {
  return d.slice('sha256:'.length);
}

/** A random 64-hex ID, as Docker uses for containers and exec sessions. */
export function randomId(): string {
  return randomBytes(32).toString('hex');
}
