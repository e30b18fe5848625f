/**
 * One error vocabulary for the whole engine (moby errdefs / containerd errdefs).
 *
 * Each kind is a class branded with a symbol; `isX(err)` walks `.cause` so a kind survives
 * wrapping with context. Only server/http-status.ts turns kinds into HTTP statuses and only
 * client/ turns statuses back into kinds: stores, runtime and image code never mention HTTP.
 */

const KIND = Symbol.for('estiba.errdefs.kind');

export type ErrorKind =
  | 'NotFound'
  | 'InvalidParameter'
  | 'Conflict'
  | 'Unauthorized'
  | 'Forbidden'
  | 'Unavailable'
  | 'NotImplemented'
  | 'NotModified'
  | 'System'
  | 'Cancelled'
  | 'Deadline'
  | 'DataLoss';

export class EstibaError extends Error {
  readonly [KIND]: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this[KIND] = kind;
    this.name = kind;
  }
}

function make(kind: ErrorKind) {
  return class extends EstibaError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(kind, message, options);
    }
  };
}

export const NotFound = make('NotFound');
export const InvalidParameter = make('InvalidParameter');
export const Conflict = make('Conflict');
export const Unauthorized = make('Unauthorized');
export const Forbidden = make('Forbidden');
export const Unavailable = make('Unavailable');
export const NotImplemented = make('NotImplemented');
export const NotModified = make('NotModified');
export const System = make('System');
export const Cancelled = make('Cancelled');
export const Deadline = make('Deadline');
export const DataLoss = make('DataLoss');

/** The kind of the first error in the cause chain that has one, or undefined. */
export function kindOf(err: unknown): ErrorKind | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 32 && cur !== null && typeof cur === 'object'; depth++) {
    const kind = (cur as { [KIND]?: ErrorKind })[KIND];
    if (kind !== undefined) return kind;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isNotFound = (err: unknown): boolean => kindOf(err) === 'NotFound';
export const isInvalidParameter = (err: unknown): boolean => kindOf(err) === 'InvalidParameter';
export const isConflict = (err: unknown): boolean => kindOf(err) === 'Conflict';
export const isUnauthorized = (err: unknown): boolean => kindOf(err) === 'Unauthorized';
export const isForbidden = (err: unknown): boolean => kindOf(err) === 'Forbidden';
export const isUnavailable = (err: unknown): boolean => kindOf(err) === 'Unavailable';
export const isNotImplemented = (err: unknown): boolean => kindOf(err) === 'NotImplemented';
export const isDataLoss = (err: unknown): boolean => kindOf(err) === 'DataLoss';
export const isCancelled = (err: unknown): boolean => kindOf(err) === 'Cancelled';

/** Message of any thrown value, for logs and API bodies. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Node system error with the given errno code (ENOENT, EEXIST …): the only sanctioned way to catch fs errors. */
export function isErrno(err: unknown, ...codes: string[]): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' && codes.includes(err.code);
}
