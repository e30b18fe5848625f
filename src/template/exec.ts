/**
 * Executor for parse trees (`text/template/exec.go`): walks the tree with a dot value and a
 * variable stack, evaluating pipelines, field chains and function calls with Go's argument
 * checking and Go's error texts (`template: :1:2: executing "" at <.Foo>: …`).
 */

import type { FuncMap, ParamType, TemplateFunc } from './funcs.js';
import { formatValue } from './fmt.js';
import {
  errorLocation,
  nodeString,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  type IdentifierNode,
  type ListNode,
  type Node,
  type NumberNode,
  type PipeNode,
  type TemplateNode,
  type VariableNode,
} from './node.js';
import type { TreeSet } from './parse.js';
import { goQuote } from './quote.js';
import { Float64, isTrue, kindOf, lookupProperty, mapEntries, toNumber, typeName } from './value.js';

/** An execution failure; `message` is Go's full text. */
export class TemplateExecError extends Error {}

const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

const BREAK: unique symbol = Symbol('break');
const CONTINUE: unique symbol = Symbol('continue');

const MAX_EXEC_DEPTH = 1000;

export interface ExecContext {
  /** Name of the top-level template, used as ParseName in locations. */
  readonly parseName: string;
  readonly text: string;
  readonly trees: TreeSet;
  readonly funcs: FuncMap;
  /** Names whose function is Go's builtin (and/or short-circuit only then). */
  readonly builtins: ReadonlySet<string>;
  /** Go's Option("missingkey=error"): a missing map key is an error, not <no value>. */
  readonly missingKeyError?: (receiver: object) => boolean;
}

interface Variable {
  readonly name: string;
  value: unknown;
}

function goType(t: ParamType): string {
  switch (t) {
    case 'any':
      return 'interface {}';
    case 'strings':
      return '[]string';
    default:
      return t;
  }
}

function isHexInt(s: string): boolean {
  return s.length > 2 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X') && !/[pP]/.test(s);
}

class State {
  private node: Node | null = null;
  private vars: Variable[];

  constructor(
    private readonly ctx: ExecContext,
    private readonly tmplName: string,
    private readonly out: string[],
    data: unknown,
    private readonly depth: number,
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  at(node: Node): void {
    this.node = node;
  }

  errorf(msg: string): never {
    if (this.node === null) throw new TemplateExecError(`template: ${this.tmplName}: ${msg}`);
    const location = errorLocation(this.ctx.parseName, this.ctx.text, this.node.pos);
    throw new TemplateExecError(
      `template: ${location}: executing ${goQuote(this.tmplName)} at <${nodeString(this.node)}>: ${msg}`,
    );
  }

  private mark(): number {
    return this.vars.length;
  }

  private pop(mark: number): void {
    this.vars.length = mark;
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v !== undefined && v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    const v = this.vars[this.vars.length - n];
    if (v !== undefined) v.value = value;
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v !== undefined && v.name === name) return v.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'comment':
        return;
      case 'if':
      case 'with':
        this.walkIfOrWith(node, dot);
        return;
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      case 'text':
        this.out.push(node.text);
        return;
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private walkIfOrWith(node: BranchNode, dot: unknown): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) this.walk(node.type === 'with' ? val : dot, node.list);
      else if (node.elseList !== null) this.walk(dot, node.elseList);
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: unknown, r: BranchNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      const oneIteration = (index: unknown, elem: unknown): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]?.ident[0] ?? '', decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]?.ident[0] ?? '', elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (err) {
          if (err !== CONTINUE) throw err;
        } finally {
          this.pop(mark);
        }
      };
      let ran = false;
      switch (kindOf(val)) {
        case 'slice':
          (val as unknown[]).forEach((elem, i) => {
            ran = true;
            oneIteration(i, elem);
          });
          break;
        case 'map':
          for (const [k, v] of mapEntries(val as Map<unknown, unknown> | Record<string, unknown>)) {
            ran = true;
            oneIteration(k, v);
          }
          break;
        case 'int': {
          if (decl.length > 1) this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
          const n = toNumber(val);
          for (let i = 0; i < n; i++) {
            ran = true;
            oneIteration(i, i);
          }
          break;
        }
        case 'invalid':
        case 'nil':
          break; // nothing to iterate, like a nil slice or map
        default:
          this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (!ran && r.elseList !== null) this.walk(dot, r.elseList);
    } catch (err) {
      if (err !== BREAK) throw err;
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const tree = this.ctx.trees.get(t.name);
    if (tree === undefined) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const newDot = this.evalPipeline(dot, t.pipe);
    // No dynamic scoping: the invoked template sees only $.
    new State(this.ctx, t.name, this.out, newDot, this.depth + 1).walk(newDot, tree);
  }

  evalPipeline(dot: unknown, pipe: PipeNode | null): unknown {
    if (pipe === null) return undefined;
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      const name = v.ident[0] ?? '';
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private notAFunction(args: readonly Node[], final: Final): void {
    const first = args[0];
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${first === undefined ? '' : nodeString(first)}`);
    }
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0];
    if (first === undefined) this.errorf('empty command');
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      // errorf never returns; the case below is separate
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
    this.errorf(`can't evaluate command ${goQuote(nodeString(first))}`);
  }

  private idealConstant(n: NumberNode): unknown {
    this.at(n);
    if (n.isFloat && !isHexInt(n.text) && n.text[0] !== "'" && /[.eEpP]/.test(n.text)) return new Float64(n.float);
    if (n.isInt) return n.int;
    if (n.isUint) this.errorf(`${n.text} overflows int`);
    return undefined;
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: readonly Node[] | null, final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: readonly Node[] | null, final: Final): unknown {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, 'any', chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: readonly Node[] | null, final: Final): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0] ?? '');
    if (v.ident.length === 1) {
      this.notAFunction(args ?? [], final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: Node,
    ident: readonly string[],
    args: readonly Node[] | null,
    final: Final,
  ): unknown {
    let r = receiver;
    for (let i = 0; i < ident.length - 1; i++) r = this.evalField(dot, ident[i] ?? '', node, null, MISSING, r);
    return this.evalField(dot, ident[ident.length - 1] ?? '', node, args, final, r);
  }

  private evalFunction(dot: unknown, node: IdentifierNode, cmd: Node, args: readonly Node[] | null, final: Final): unknown {
    this.at(node);
    const name = node.ident;
    const f = Object.prototype.hasOwnProperty.call(this.ctx.funcs, name) ? this.ctx.funcs[name] : undefined;
    if (f === undefined) this.errorf(`${goQuote(name)} is not a defined function`);
    return this.evalCall(dot, f, this.ctx.builtins.has(name), cmd, name, args, final);
  }

  private evalField(
    dot: unknown,
    fieldName: string,
    node: Node,
    args: readonly Node[] | null,
    final: Final,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) return undefined;
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    const kind = kindOf(receiver);
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (kind === 'map' || kind === 'struct') {
      const obj = receiver as object;
      const found = lookupProperty(obj, fieldName);
      if (found.found) {
        const value = found.value;
        if (typeof value === 'function') {
          const method: TemplateFunc = {
            params: [],
            variadic: 'any',
            fn: (...a: unknown[]) => (value as (...x: unknown[]) => unknown).apply(obj, a),
          };
          return this.evalCall(dot, method, false, node, fieldName, args, final);
        }
        if (hasArgs) {
          this.errorf(
            kind === 'map'
              ? `${fieldName} is not a method but has arguments`
              : `${fieldName} has arguments but cannot be invoked as function`,
          );
        }
        return value;
      }
      if (kind === 'map') {
        if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
        if (this.ctx.missingKeyError?.(obj)) this.errorf(`map has no entry for key ${JSON.stringify(fieldName)}`);
        return undefined;
      }
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typeName(receiver)}`);
  }

  private evalCall(
    dot: unknown,
    f: TemplateFunc,
    isBuiltin: boolean,
    node: Node,
    name: string,
    args: readonly Node[] | null,
    final: Final,
  ): unknown {
    const argNodes = args === null ? [] : args.slice(1);
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    let numFixed = argNodes.length;
    if (f.variadic !== undefined) {
      numFixed = f.params.length;
      if (numIn < numFixed) {
        this.errorf(`wrong number of args for ${name}: want at least ${f.params.length} got ${argNodes.length}`);
      }
    } else if (numIn !== f.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${f.params.length} got ${numIn}`);
    }

    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: unknown = undefined;
      for (const arg of argNodes) {
        v = this.evalArg(dot, 'any', arg);
        if (isTrue(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }

    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < argNodes.length; i++) {
      argv.push(this.evalArg(dot, f.params[i] ?? 'any', argNodes[i] as Node));
    }
    if (f.variadic !== undefined) {
      for (; i < argNodes.length; i++) argv.push(this.evalArg(dot, f.variadic, argNodes[i] as Node));
    }
    if (final !== MISSING) {
      let t: ParamType = f.params[f.params.length - 1] ?? 'any';
      if (f.variadic !== undefined) t = numIn - 1 < numFixed ? (f.params[numIn - 1] ?? 'any') : f.variadic;
      argv.push(this.validateType(final, t));
    }
    try {
      return f.fn(...argv);
    } catch (err) {
      if (err instanceof TemplateExecError || err === BREAK || err === CONTINUE) throw err;
      this.at(node);
      this.errorf(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private validateType(value: unknown, t: ParamType): unknown {
    if (t === 'any') return value;
    if (value === undefined || value === null) {
      if (t === 'strings') return [];
      this.errorf(`invalid value; expected ${goType(t)}`);
    }
    const k = kindOf(value);
    switch (t) {
      case 'string':
        if (k === 'string') return value;
        break;
      case 'int':
        if (k === 'int') return toNumber(value);
        break;
      case 'bool':
        if (k === 'bool') return value;
        break;
      case 'strings':
        if (Array.isArray(value) && value.every((e) => typeof e === 'string')) return value;
        break;
    }
    this.errorf(`wrong type for value; expected ${goType(t)}; got ${typeName(value)}`);
  }

  private evalArg(dot: unknown, t: ParamType, n: Node): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, t);
      case 'nil':
        if (t === 'any') return undefined;
        if (t === 'strings') return [];
        this.errorf(`cannot assign nil to ${goType(t)}`);
      // errorf never returns
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), t);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), t);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), t);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), t);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), t);
      default:
        break;
    }
    switch (t) {
      case 'bool':
        if (n.type === 'bool') return n.value;
        this.errorf(`expected bool; found ${nodeString(n)}`);
      // errorf never returns
      case 'int':
        if (n.type === 'number' && n.isInt) return Number(n.int);
        this.errorf(`expected integer; found ${nodeString(n)}`);
      // errorf never returns
      case 'string':
        if (n.type === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      // errorf never returns
      case 'any':
        if (n.type === 'bool') return n.value;
        if (n.type === 'number') return this.idealConstant(n);
        if (n.type === 'string') return n.text;
        this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
      // errorf never returns
      case 'strings':
        this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
    }
  }

  private printValue(n: Node, v: unknown): void {
    this.at(n);
    if (v === undefined) {
      this.out.push('<no value>');
      return;
    }
    if (typeof v === 'function') this.errorf(`can't print ${nodeString(n)} of type ${typeName(v)}`);
    this.out.push(formatValue(v));
  }
}

export interface ExecResult {
  /** Output written before any error (all of it on success). */
  readonly output: string;
  readonly error: TemplateExecError | null;
}

/** Executes the tree called `name` with `data` as dot and $. */
export function execute(ctx: ExecContext, name: string, data: unknown): ExecResult {
  const out: string[] = [];
  const tree: ListNode | undefined = ctx.trees.get(name);
  const state: State = new State(ctx, name, out, data, 0);
  try {
    if (tree === undefined) state.errorf(`${goQuote(name)} is an incomplete or empty template`);
    state.walk(data, tree);
    return { output: out.join(''), error: null };
  } catch (err) {
    if (err instanceof TemplateExecError) return { output: out.join(''), error: err };
    throw err;
  }
}
