/** Template: a parsed Go template and its execution entry points. */

import { InvalidParameter } from '../errdefs/index.js';
import { execute, type ExecContext } from './exec.js';
import { BUILTINS, DOCKER_FUNCS, type FuncMap } from './funcs.js';
import { parse, TemplateParseError, type TreeSet } from './parse.js';

export interface ParseTemplateOptions {
  /** Template name in messages; docker/cli uses "" (the default). */
  readonly name?: string;
  /** Extra functions, available to the parser's "function not defined" check and at execution. */
  readonly funcs?: FuncMap;
}

export interface ExecuteOptions {
  /** Functions replacing those of the same name for this execution (docker's tmpl.Funcs). */
  readonly funcs?: FuncMap;
  /**
   * Go's Option("missingkey=error") for the maps it returns true for (docker inspect sets it
   * when it falls back to raw values).
   */
  readonly missingKeyError?: (receiver: object) => boolean;
}

export interface PartialResult {
  /** Everything written before the error, or the whole output. */
  readonly output: string;
  readonly error: InstanceType<typeof InvalidParameter> | null;
}

const BUILTIN_NAMES: ReadonlySet<string> = new Set(Object.keys(BUILTINS));

export class Template {
  readonly #name: string;
  readonly #text: string;
  readonly #trees: TreeSet;
  readonly #funcs: FuncMap;

  constructor(name: string, text: string, trees: TreeSet, funcs: FuncMap) {
    this.#name = name;
    this.#text = text;
    this.#trees = trees;
    this.#funcs = funcs;
  }

  get name(): string {
    return this.#name;
  }

  /** Runs the template; throws InvalidParameter with Go's message on an execution error. */
  execute(data: unknown, options?: ExecuteOptions): string {
    const { output, error } = this.executePartial(data, options);
    if (error !== null) throw error;
    return output;
  }

  /** Runs the template and returns the output written before any error, like Go's Execute into a buffer. */
  executePartial(data: unknown, options?: ExecuteOptions): PartialResult {
    const funcs: FuncMap = { ...this.#funcs, ...options?.funcs };
    const builtins = new Set([...BUILTIN_NAMES].filter((n) => funcs[n] === BUILTINS[n]));
    const ctx: ExecContext = { parseName: this.#name, text: this.#text, trees: this.#trees, funcs, builtins, ...(options?.missingKeyError ? { missingKeyError: options.missingKeyError } : {}) };
    const { output, error } = execute(ctx, this.#name, data);
    return { output, error: error === null ? null : new InvalidParameter(error.message, { cause: error }) };
  }
}

/** Parses a Go template; throws InvalidParameter with Go's message on a syntax error. */
export function parseTemplate(src: string, options?: ParseTemplateOptions): Template {
  const name = options?.name ?? '';
  const funcs: FuncMap = { ...BUILTINS, ...DOCKER_FUNCS, ...options?.funcs };
  const hasFunction = (f: string): boolean => Object.prototype.hasOwnProperty.call(funcs, f);
  try {
    return new Template(name, src, parse(src, { name, hasFunction }), funcs);
  } catch (err) {
    if (err instanceof TemplateParseError) throw new InvalidParameter(err.message, { cause: err });
    throw err;
  }
}
