import { kindOf, type ErrorKind } from '../errdefs/index.js';

const STATUS: Record<ErrorKind, number> = {
  NotFound: 404,
  InvalidParameter: 400,
  Conflict: 409,
  Unauthorized: 401,
  Forbidden: 403,
  Unavailable: 503,
  NotImplemented: 501,
  NotModified: 304,
  System: 500,
  Cancelled: 499,
  Deadline: 504,
  DataLoss: 500,
};

/** The one place where error kinds become HTTP statuses (moby httpstatus.FromError). */
export function statusFromError(err: unknown): number {
  const kind = kindOf(err);
  return kind === undefined ? 500 : STATUS[kind];
}
