/**
 * Registry authentication as Docker's client does it: the `/v2/` ping tells the scheme
 * (`WWW-Authenticate`); Basic sends the credentials on every request; Bearer fetches a token
 * from the challenge's realm for `service` and the scopes a request needs, anonymously or with
 * the credentials (HTTP Basic on a GET, or an OAuth2 refresh token for identity tokens), and
 * caches it until shortly before it expires. Tokens are shared by every pull and push.
 */
import type { Challenge } from './challenge.js';

/** Credentials as the Engine API carries them (X-Registry-Auth, POST /auth). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64(username:password), as config.json stores it. */
  auth?: string;
  email?: string;
  serveraddress?: string;
  /** An OAuth2 refresh token from an earlier login. */
  identitytoken?: string;
  /** A bearer token to send as is. */
  registrytoken?: string;
}

/** Username and password from either form of AuthConfig, or undefined for anonymous access. */
export function basicCredentials(a: AuthConfig | undefined): { username: string; password: string } | undefined {
  if (!a) return undefined;
  if (a.username) return { username: a.username, password: a.password ?? '' };
  if (a.auth) {
    const text = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
  }
  return undefined;
}

export function basicHeader(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

interface CachedToken {
  token: string;
  expires: number;
}

/** The minimum lifetime the token spec grants a token without `expires_in`. */
const DEFAULT_TOKEN_LIFETIME_S = 60;

/** Bearer tokens by realm, service, scopes and user; expired entries drop out on lookup. */
export class TokenCache {
  readonly #tokens = new Map<string, CachedToken>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  static key(c: Challenge, scopes: readonly string[], user: string): string {
    return JSON.stringify([c.params.realm ?? '', c.params.service ?? '', [...scopes].sort(), user]);
  }

  get(key: string): string | undefined {
    const t = this.#tokens.get(key);
    if (!t) return undefined;
    if (t.expires <= this.#now()) {
      this.#tokens.delete(key);
      return undefined;
    }
    return t.token;
  }

  /** Keeps a token until 10 s (or a tenth of its life) before it expires, so no request races its expiry. */
  set(key: string, token: string, expiresInS: number | undefined): void {
    const life = (expiresInS !== undefined && expiresInS > 0 ? expiresInS : DEFAULT_TOKEN_LIFETIME_S) * 1000;
    this.#tokens.set(key, { token, expires: this.#now() + life - Math.min(10_000, life / 10) });
  }

  delete(key: string): void {
    this.#tokens.delete(key);
  }
}

/** A token endpoint's answer: `token` (or `access_token`), optional `expires_in`. */
export function parseTokenResponse(body: Buffer): { token: string; expiresIn?: number; refreshToken?: string } | undefined {
  try {
    const j = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
    const token = typeof j.token === 'string' && j.token !== '' ? j.token : typeof j.access_token === 'string' ? j.access_token : '';
    if (token === '') return undefined;
    return {
      token,
      ...(typeof j.expires_in === 'number' ? { expiresIn: j.expires_in } : {}),
      ...(typeof j.refresh_token === 'string' ? { refreshToken: j.refresh_token } : {}),
    };
  } catch {
    // Not JSON: the caller reports the token server's answer as unusable.
    return undefined;
  }
}
