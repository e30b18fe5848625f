/**
 * `.dockerignore` matching with Docker's rules (`!` exceptions, `**`, leading `/` and `./`
 * ignored, comments) through @balena/dockerignore, a port of Docker's matcher.
 *
 * @module
 */
import * as mod from '@balena/dockerignore';

/** The package is CommonJS (`module.exports = factory`); under ESM the factory is the namespace's default. */
interface Ignore {
  add(patterns: string[]): Ignore;
  ignores(path: string): boolean;
}
const factory = (mod as unknown as { default: () => Ignore }).default;

/** A predicate: true when `path` (relative to the context, `/`-separated) is excluded. */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const ig = factory().add(text.split(/\r?\n/));
  return (path) => ig.ignores(path);
}
