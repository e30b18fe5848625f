/**
 * Registry error codes (distribution `registry/api/errcode` and `registry/api/v2/errors.go`) and
 * how the engine reports them. A registry answers failures with `{"errors":[{code,message,detail}]}`;
 * Docker prints one as `<code in lower case, spaces for _>: <message>` ("manifest unknown: manifest
 * unknown"), and its pull/push errors wrap that text, so the same rendering is kept here.
 */
import { Forbidden, InvalidParameter, NotFound, System, Unauthorized, Unavailable, type EstibaError } from '../errdefs/index.js';

export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** A registry's JSON error, or a status without one (then `code` is empty). */
export class RegistryError extends Error {
  readonly status: number;
  readonly code: string;
  readonly registryMessage: string;
  constructor(status: number, entry: RegistryErrorEntry | undefined, statusText: string, opts?: { cause?: unknown }) {
    super(entry ? `${entry.code.toLowerCase().replace(/_/g, ' ')}: ${entry.message}` : unexpectedStatus(status, statusText), opts);
    this.status = status;
    this.code = entry?.code ?? '';
    this.registryMessage = entry?.message ?? '';
    this.name = 'RegistryError';
  }
}

function unexpectedStatus(status: number, text: string): string {
  return `received unexpected HTTP status: ${status} ${text}`;
}

/** Parses an error body; a body that is not the registry's JSON gives no entry. */
export function parseErrorBody(body: Buffer): RegistryErrorEntry | undefined {
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: unknown; details?: unknown };
    if (Array.isArray(j.errors) && j.errors.length > 0) {
      const e = j.errors[0] as Partial<RegistryErrorEntry>;
      if (typeof e.code === 'string') return { code: e.code, message: typeof e.message === 'string' ? e.message : '', detail: e.detail };
    }
  } catch {
    // Not JSON (an HTML error page, a proxy's text): the status alone tells what happened.
  }
  return undefined;
}

/**
 * What the registry says when the client may not go on. Without a JSON body, distribution's client
 * invents the code from the status for 401 and 429 (`HandleErrorResponse`).
 */
export function registryError(status: number, statusText: string, body: Buffer): RegistryError {
  let entry = parseErrorBody(body);
  if (!entry && status === 401) entry = { code: 'UNAUTHORIZED', message: 'authentication required' };
  if (!entry && status === 429) entry = { code: 'TOOMANYREQUESTS', message: 'too many requests' };
  return new RegistryError(status, entry, statusText);
}

/** An engine error kind for a registry error, keeping Docker's wording as the message. */
export function asEngineError(err: RegistryError, message = err.message): EstibaError {
  switch (err.code) {
    case 'UNAUTHORIZED':
      return new Unauthorized(message, { cause: err });
    case 'DENIED':
      return new Forbidden(message, { cause: err });
    case 'MANIFEST_UNKNOWN':
    case 'NAME_UNKNOWN':
    case 'BLOB_UNKNOWN':
      return new NotFound(message, { cause: err });
    case 'TOOMANYREQUESTS':
      return new Unavailable(message, { cause: err });
    case 'NAME_INVALID':
    case 'TAG_INVALID':
    case 'MANIFEST_INVALID':
      return new InvalidParameter(message, { cause: err });
  }
  return new System(message, { cause: err });
}
