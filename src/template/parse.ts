/**
 * Parser for Go text/template (`text/template/parse/parse.go`): a recursive-descent parser over
 * the lexer with Go's three-token lookahead, so error line numbers match Go's.
 */

import { Lexer, itemString, type Item, type ItemType } from './lexer.js';
import { LiteralSyntaxError, MalformedCharError, parseFloat64, parseInt64, parseUint, unquote, unquoteChar } from './literal.js';
import type {
  BranchNode,
  CommandNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  TemplateNode,
  VariableNode,
} from './node.js';

/** A parse failure; `message` is Go's full text, e.g. `template: :1: unexpected EOF`. */
export class TemplateParseError extends Error {}

export interface ParseOptions {
  /** Template name used in messages (docker/cli uses ""). */
  readonly name: string;
  /** Whether a function of this name exists (checked at parse time, like Go). */
  readonly hasFunction: (name: string) => boolean;
}

/** Named trees: the top-level template under its name plus every {{define}}. */
export type TreeSet = Map<string, ListNode>;

const MAX_STACK_DEPTH = 10000;

function isEmptyTree(n: Node): boolean {
  switch (n.type) {
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'comment':
      return true;
    case 'text':
      return n.text.trim() === '';
    default:
      return false;
  }
}

class Parser {
  private readonly token: Item[] = [];
  private peekCount = 0;
  private vars: string[] = ['$'];
  private actionLine = 0;
  private rangeDepth = 0;
  private stackDepth = 0;
  name: string;

  constructor(
    private readonly lex: Lexer,
    private readonly opts: ParseOptions,
    private readonly treeSet: TreeSet,
    name: string,
  ) {
    this.name = name;
  }

  private tok(i: number): Item {
    const t = this.token[i];
    if (t === undefined) throw new Error('template parser: no token');
    return t;
  }

  next(): Item {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lex.nextItem();
    return this.tok(this.peekCount);
  }

  backup(): void {
    this.peekCount++;
  }

  backup2(t1: Item): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }

  backup3(t2: Item, t1: Item): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }

  peek(): Item {
    if (this.peekCount > 0) return this.tok(this.peekCount - 1);
    this.peekCount = 1;
    this.token[0] = this.lex.nextItem();
    return this.tok(0);
  }

  nextNonSpace(): Item {
    let token: Item;
    do token = this.next();
    while (token.typ === 'space');
    return token;
  }

  peekNonSpace(): Item {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  errorf(msg: string): never {
    const line = this.token[0]?.line ?? 1;
    throw new TemplateParseError(`template: ${this.opts.name}:${line}: ${msg}`);
  }

  expect(expected: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.typ !== expected) this.unexpected(token, context);
    return token;
  }

  unexpected(token: Item, context: string): never {
    if (token.typ === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.opts.name}:${this.actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${itemString(token)}${extra}`);
    }
    this.errorf(`unexpected ${itemString(token)} in ${context}`);
  }

  add(root: ListNode): void {
    const existing = this.treeSet.get(this.name);
    if (existing === undefined || isEmptyTree(existing)) {
      this.treeSet.set(this.name, root);
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${JSON.stringify(this.name)}`);
  }

  /** Top level: like itemList but also accepts {{define}}, and runs to EOF. */
  parse(): ListNode {
    const root: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().typ !== 'EOF') {
      if (this.peek().typ === 'leftDelim') {
        const delim = this.next();
        if (this.nextNonSpace().typ === 'define') {
          this.parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${n.type === 'end' ? '{{end}}' : '{{else}}'}`);
      root.nodes.push(n);
    }
    return root;
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const tok = this.nextNonSpace();
    if (tok.typ !== 'string' && tok.typ !== 'rawString') this.unexpected(tok, context);
    const name = this.unquoteOrFail(tok.val);
    this.expect('rightDelim', context);
    const outerName = this.name;
    const outerVars = this.vars;
    this.name = name;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeTypeString(end)} in ${context}`);
    this.add(list);
    this.name = outerName;
    this.vars = outerVars;
  }

  itemList(): [ListNode, Node] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().typ !== 'EOF') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  textOrAction(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case 'text':
        return { type: 'text', pos: token.pos, text: token.val };
      case 'leftDelim':
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      case 'comment':
        return { type: 'comment', pos: token.pos, text: token.val };
      default:
        this.unexpected(token, 'input');
    }
  }

  action(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case 'block':
        return this.blockControl();
      case 'break':
        return this.breakControl(token);
      case 'continue':
        return this.continueControl(token);
      case 'else':
        return this.elseControl();
      case 'end':
        return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
        return this.branch('if');
      case 'range':
        return this.branch('range');
      case 'template':
        return this.templateControl();
      case 'with':
        return this.branch('with');
    }
    this.backup();
    const t = this.peek();
    return { type: 'action', pos: t.pos, line: t.line, pipe: this.pipeline('command', 'rightDelim') };
  }

  private breakControl(token: Item): Node {
    const t = this.nextNonSpace();
    if (t.typ !== 'rightDelim') this.unexpected(t, '{{break}}');
    if (this.rangeDepth === 0) this.errorf('{{break}} outside {{range}}');
    return { type: 'break', pos: token.pos, line: token.line };
  }

  private continueControl(token: Item): Node {
    const t = this.nextNonSpace();
    if (t.typ !== 'rightDelim') this.unexpected(t, '{{continue}}');
    if (this.rangeDepth === 0) this.errorf('{{continue}} outside {{range}}');
    return { type: 'continue', pos: token.pos, line: token.line };
  }

  pipeline(context: string, end: ItemType): PipeNode {
    const token = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: token.pos, line: token.line, isAssign: false, decl: [], cmds: [] };
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== 'variable') break;
      this.next();
      // "$x foo" vs "$x := foo": remember the token after the variable so it can be pushed back.
      const tokenAfterVariable = this.peek();
      const next = this.peekNonSpace();
      if (next.typ === 'assign' || next.typ === 'declare') {
        pipe.isAssign = next.typ === 'assign';
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v.pos, v.val));
        this.vars.push(v.val);
      } else if (next.typ === 'char' && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v.pos, v.val));
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().typ;
          if (p === 'variable' || p === 'rightDelim' || p === 'rightParen') continue decls;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      } else if (tokenAfterVariable.typ === 'space') {
        this.backup3(v, tokenAfterVariable);
      } else {
        this.backup2(v);
      }
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.typ) {
        case 'bool':
        case 'charConstant':
        case 'complex':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const first = c.args[0]?.type;
      if (first === 'bool' || first === 'dot' || first === 'nil' || first === 'number' || first === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private parseControl(context: 'if' | 'range' | 'with'): Omit<BranchNode, 'type'> {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      let [list, next] = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.type === 'else') {
        // "{{else if …}}" / "{{else with …}}" parse as a nested if/with whose {{end}} is shared.
        if ((context === 'if' && this.peek().typ === 'if') || (context === 'with' && this.peek().typ === 'with')) {
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [this.branch(context)] };
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== 'end') this.errorf(`expected end; found ${nodeTypeString(next)}`);
        }
      }
      return { pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  private branch(context: 'if' | 'range' | 'with'): BranchNode {
    return { type: context, ...this.parseControl(context) };
  }

  private elseControl(): Node {
    const peek = this.peekNonSpace();
    if (peek.typ === 'if' || peek.typ === 'with') return { type: 'else', pos: peek.pos, line: peek.line };
    const token = this.expect('rightDelim', 'else');
    return { type: 'else', pos: token.pos, line: token.line };
  }

  private blockControl(): Node {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    const pipe = this.pipeline(context, 'rightDelim');
    const outerName = this.name;
    const outerVars = this.vars;
    this.name = name;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeTypeString(end)} in ${context}`);
    this.add(list);
    this.name = outerName;
    this.vars = outerVars;
    const node: TemplateNode = { type: 'template', pos: token.pos, line: token.line, name, pipe };
    return node;
  }

  private templateControl(): Node {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    const node: TemplateNode = { type: 'template', pos: token.pos, line: token.line, name, pipe };
    return node;
  }

  private parseTemplateName(token: Item, context: string): string {
    if (token.typ === 'string' || token.typ === 'rawString') return this.unquoteOrFail(token.val);
    this.unexpected(token, context);
  }

  private unquoteOrFail(lit: string): string {
    try {
      return unquote(lit);
    } catch (err) {
      if (err instanceof LiteralSyntaxError) this.errorf(err.message);
      throw err;
    }
  }

  command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== null) cmd.args.push(operand);
      const token = this.next();
      if (token.typ === 'space') continue;
      if (token.typ === 'rightDelim' || token.typ === 'rightParen') this.backup();
      else if (token.typ !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): Node | null {
    const node = this.term();
    if (node === null) return null;
    if (this.peek().typ === 'field') {
      const chainPos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().typ === 'field') fields.push(this.next().val.slice(1));
      if (node.type === 'field') return { type: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
      if (node.type === 'variable') return { type: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
      const literal = termString(node);
      if (literal !== null) this.errorf(`unexpected . after term ${JSON.stringify(literal)}`);
      return { type: 'chain', pos: chainPos, node, field: fields };
    }
    return node;
  }

  private term(): Node | null {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case 'identifier':
        if (!this.opts.hasFunction(token.val)) this.errorf(`function ${JSON.stringify(token.val)} not defined`);
        return { type: 'identifier', pos: token.pos, ident: token.val };
      case 'dot':
        return { type: 'dot', pos: token.pos };
      case 'nil':
        return { type: 'nil', pos: token.pos };
      case 'variable':
        return this.useVar(token.pos, token.val);
      case 'field':
        return { type: 'field', pos: token.pos, ident: [token.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: token.pos, value: token.val === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        return this.newNumber(token);
      case 'leftParen': {
        if (this.stackDepth >= MAX_STACK_DEPTH) this.errorf('max expression depth exceeded');
        this.stackDepth++;
        try {
          return this.pipeline('parenthesized pipeline', 'rightParen');
        } finally {
          this.stackDepth--;
        }
      }
      case 'string':
      case 'rawString':
        return { type: 'string', pos: token.pos, quoted: token.val, text: this.unquoteOrFail(token.val) };
    }
    this.backup();
    return null;
  }

  private newVariable(pos: number, ident: string): VariableNode {
    return { type: 'variable', pos, ident: ident.split('.') };
  }

  private useVar(pos: number, name: string): VariableNode {
    const v = this.newVariable(pos, name);
    const head = v.ident[0] ?? '';
    if (!this.vars.includes(head)) this.errorf(`undefined variable ${JSON.stringify(head)}`);
    return v;
  }

  private newNumber(token: Item): NumberNode {
    const text = token.val;
    const base = { type: 'number' as const, pos: token.pos, text };
    if (token.typ === 'charConstant') {
      let r: number;
      try {
        r = unquoteChar(text);
      } catch (err) {
        if (err instanceof MalformedCharError) this.errorf(`malformed character constant: ${text}`);
        if (err instanceof LiteralSyntaxError) this.errorf(err.message);
        throw err;
      }
      return { ...base, isInt: true, isUint: true, isFloat: true, int: r, float: r };
    }
    if (token.typ === 'complex') this.errorf(`illegal number syntax: ${JSON.stringify(text)}`);
    const u = parseUint(text);
    const i = parseInt64(text);
    if (i !== null) {
      const int = Number.isSafeInteger(Number(i)) ? Number(i) : i;
      return { ...base, isInt: true, isUint: u !== null || i === 0n, isFloat: true, int, float: Number(i) };
    }
    if (u !== null) return { ...base, isInt: false, isUint: true, isFloat: true, int: 0, float: Number(u) };
    const f = parseFloat64(text);
    if (f === null) this.errorf(`illegal number syntax: ${JSON.stringify(text)}`);
    // Float syntax that looks like an integer means an integer too large for int64.
    if (!/[.eEpP]/.test(text)) this.errorf(`integer overflow: ${JSON.stringify(text)}`);
    const isInt = Number.isInteger(f) && Math.abs(f) < 2 ** 63;
    const isUint = Number.isInteger(f) && f >= 0 && f < 2 ** 64;
    return { ...base, isInt, isUint, isFloat: true, int: isInt ? f : 0, float: f };
  }
}

/** String() of literal terms, which cannot start a field chain; null for other nodes. */
function termString(n: Node): string | null {
  switch (n.type) {
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'string':
      return n.quoted;
    case 'number':
      return n.text;
    case 'nil':
      return 'nil';
    case 'dot':
      return '.';
    default:
      return null;
  }
}

function nodeTypeString(n: Node): string {
  if (n.type === 'end') return '{{end}}';
  if (n.type === 'else') return '{{else}}';
  return n.type;
}

/** Parses `text` into a set of named trees; the top-level one is stored under `opts.name`. */
export function parse(text: string, opts: ParseOptions): TreeSet {
  const treeSet: TreeSet = new Map();
  const lexer = new Lexer(text, { breakOK: !opts.hasFunction('break'), continueOK: !opts.hasFunction('continue') });
  const parser = new Parser(lexer, opts, treeSet, opts.name);
  const root = parser.parse();
  parser.add(root);
  return treeSet;
}
