/**
 * Parse-tree nodes (`text/template/parse/node.go`). `nodeString` reproduces Go's String()
 * forms, which appear verbatim in execution errors (`executing "" at <.Foo.Bar>: …`).
 */

export interface ListNode { readonly type: 'list'; readonly pos: number; readonly nodes: Node[] }
export interface TextNode { readonly type: 'text'; readonly pos: number; readonly text: string }
export interface CommentNode { readonly type: 'comment'; readonly pos: number; readonly text: string }
export interface PipeNode {
  readonly type: 'pipe';
  readonly pos: number;
  readonly line: number;
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
export interface ActionNode { readonly type: 'action'; readonly pos: number; readonly line: number; readonly pipe: PipeNode }
export interface CommandNode { readonly type: 'command'; readonly pos: number; readonly args: Node[] }
export interface IdentifierNode { readonly type: 'identifier'; readonly pos: number; readonly ident: string }
export interface VariableNode { readonly type: 'variable'; readonly pos: number; readonly ident: string[] }
export interface DotNode { readonly type: 'dot'; readonly pos: number }
export interface NilNode { readonly type: 'nil'; readonly pos: number }
export interface FieldNode { readonly type: 'field'; readonly pos: number; readonly ident: string[] }
export interface ChainNode { readonly type: 'chain'; readonly pos: number; readonly node: Node; readonly field: string[] }
export interface BoolNode { readonly type: 'bool'; readonly pos: number; readonly value: boolean }
export interface NumberNode {
  readonly type: 'number';
  readonly pos: number;
  readonly text: string;
  readonly isInt: boolean;
  readonly isUint: boolean;
  readonly isFloat: boolean;
  /** Valid when isInt; a bigint beyond the safe-integer range. */
  readonly int: number | bigint;
  readonly float: number;
}
export interface StringNode { readonly type: 'string'; readonly pos: number; readonly quoted: string; readonly text: string }
export interface EndNode { readonly type: 'end'; readonly pos: number }
export interface ElseNode { readonly type: 'else'; readonly pos: number; readonly line: number }
export interface BranchNode {
  readonly type: 'if' | 'range' | 'with';
  readonly pos: number;
  readonly line: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | null;
}
export interface TemplateNode {
  readonly type: 'template';
  readonly pos: number;
  readonly line: number;
  readonly name: string;
  readonly pipe: PipeNode | null;
}
export interface BreakNode { readonly type: 'break'; readonly pos: number; readonly line: number }
export interface ContinueNode { readonly type: 'continue'; readonly pos: number; readonly line: number }

export type Node =
  | ListNode
  | TextNode
  | CommentNode
  | PipeNode
  | ActionNode
  | CommandNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | EndNode
  | ElseNode
  | BranchNode
  | TemplateNode
  | BreakNode
  | ContinueNode;

function pipeString(p: PipeNode): string {
  let s = '';
  if (p.decl.length > 0) {
    s += p.decl.map(nodeString).join(', ');
    s += p.isAssign ? ' = ' : ' := ';
  }
  return s + p.cmds.map(nodeString).join(' | ');
}

/** Go's Node.String(). */
export function nodeString(n: Node): string {
  switch (n.type) {
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'text':
      return n.text;
    case 'comment':
      return `{{${n.text}}}`;
    case 'pipe':
      return pipeString(n);
    case 'action':
      return `{{${pipeString(n.pipe)}}}`;
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${pipeString(a)})` : nodeString(a))).join(' ');
    case 'identifier':
      return n.ident;
    case 'variable':
      return n.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'field':
      return n.ident.map((id) => `.${id}`).join('');
    case 'chain': {
      const head = n.node.type === 'pipe' ? `(${pipeString(n.node)})` : nodeString(n.node);
      return head + n.field.map((f) => `.${f}`).join('');
    }
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
    case 'if':
    case 'range':
    case 'with': {
      const elsePart = n.elseList !== null ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.type} ${pipeString(n.pipe)}}}${nodeString(n.list)}${elsePart}{{end}}`;
    }
    case 'template': {
      const quoted = JSON.stringify(n.name);
      return n.pipe === null ? `{{template ${quoted}}}` : `{{template ${quoted} ${pipeString(n.pipe)}}}`;
    }
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
  }
}

const utf8 = new TextEncoder();

/** Go's Tree.ErrorContext location: "name:line:byteColumn" (column counts UTF-8 bytes, 0-based). */
export function errorLocation(name: string, text: string, pos: number): string {
  const before = text.slice(0, pos);
  const nl = before.lastIndexOf('\n');
  const lineStart = nl + 1;
  let line = 1;
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
  const col = utf8.encode(before.slice(lineStart)).length;
  return `${name}:${line}:${col}`;
}
