/**
 * Parsed nodes → typed instructions, with each instruction's argument syntax (exec/JSON form vs
 * shell form, `key=value` pairs, flags) checked as Docker checks it. Values stay unexpanded: the
 * builder expands them with the variables in scope at dispatch (shell-lex.ts).
 *
 * @module
 */
import { DockerfileParseError, parseDockerfile, type Dockerfile, type Heredoc, type Node } from './parser.js';

/** `["a","b"]` (exec form) or a string for the shell. */
export type CommandForm = { json: true; argv: string[] } | { json: false; cmd: string };

export interface FromInstr { kind: 'from'; node: Node; image: string; stageName?: string; platform?: string }
export interface RunInstr { kind: 'run'; node: Node; form: CommandForm; network?: string; heredocs: Heredoc[] }
export interface CmdInstr { kind: 'cmd' | 'entrypoint'; node: Node; form: CommandForm }
export interface PairsInstr { kind: 'env' | 'label'; node: Node; pairs: [string, string][] }
export interface ArgInstr { kind: 'arg'; node: Node; args: { name: string; value?: string }[] }
export interface WordsInstr { kind: 'expose' | 'volume'; node: Node; words: string[] }
export interface ValueInstr { kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer'; node: Node; value: string }
export interface ShellInstr { kind: 'shell'; node: Node; argv: string[] }
export interface CopyInstr {
  kind: 'copy' | 'add';
  node: Node;
  sources: string[];
  dest: string;
  from?: string;
  chown?: string;
  chmod?: string;
  /** ADD --checksum=sha256:… for a remote source. */
  checksum?: string;
  heredocs: Heredoc[];
}
export interface HealthInstr {
  kind: 'healthcheck';
  node: Node;
  /** ['NONE'] or ['CMD', …] / ['CMD-SHELL', cmd]. */
  test: string[];
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}
export interface OnbuildInstr { kind: 'onbuild'; node: Node; trigger: string }

export type Instruction =
  | FromInstr | RunInstr | CmdInstr | PairsInstr | ArgInstr | WordsInstr | ValueInstr | ShellInstr | CopyInstr
  | HealthInstr | OnbuildInstr;

export interface Stage {
  name?: string;
  from: FromInstr;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  dockerfile: Dockerfile;
  /** ARGs before the first FROM. */
  globalArgs: ArgInstr[];
  stages: Stage[];
  /** Every instruction in file order (for `Step N/M`). */
  all: Instruction[];
}

const fail = (node: Node, file: string, msg: string): never => {
  throw new DockerfileParseError(msg, node.line, file);
};

/** Exec form when the text is a JSON array of strings, else shell form (as Docker decides). */
export function commandForm(args: string): CommandForm {
  const t = args.trim();
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { json: true, argv: v as string[] };
    } catch {
      // Not JSON: Docker runs it through the shell as written.
    }
  }
  return { json: false, cmd: args };
}

/** Splits at unquoted whitespace, keeping quotes and escapes in the words (moby's parseWords). */
export function splitWords(text: string, escape: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === '' && /\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    cur += ch;
    if (ch === escape && i + 1 < text.length && quote !== "'") {
      cur += text[++i]!;
      continue;
    }
    if (quote === '' && (ch === '"' || ch === "'")) quote = ch;
    else if (quote === ch) quote = '';
  }
  if (inWord) out.push(cur);
  return out;
}

function nameVals(node: Node, file: string, escape: string, what: string): [string, string][] {
  const words = splitWords(node.args, escape);
  if (words.length === 0) fail(node, file, `${what} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    // Legacy `ENV key value with spaces`.
    const m = /^(\S+)\s+([\s\S]*)$/.exec(node.args.trim());
    if (!m || m[2]!.trim() === '') fail(node, file, `${what} must have two arguments`);
    return [[m![1]!, m![2]!.trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) fail(node, file, `${what} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)] as [string, string];
  });
}

function flagMap(node: Node, file: string, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of node.flags) {
    const eq = f.indexOf('=');
    const name = f.slice(2, eq < 0 ? undefined : eq);
    if (!allowed.includes(name)) fail(node, file, `unknown flag: ${name}`);
    let v = eq < 0 ? '' : f.slice(eq + 1);
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1);
    out.set(name, v);
  }
  return out;
}

/** Go duration (`30s`, `1m30s`, `500ms`) → nanoseconds. */
export function parseGoDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let rest = s;
  if (rest === '') return undefined;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}

function toInstruction(node: Node, df: Dockerfile): Instruction {
  const { file, escape } = df;
  const needArgs = (): void => {
    if (node.args.trim() === '' && node.heredocs.length === 0) fail(node, file, `${node.cmd.toUpperCase()} requires at least one argument`);
  };
  switch (node.cmd) {
    case 'from': {
      const flags = flagMap(node, file, ['platform']);
      const words = node.args.trim().split(/\s+/).filter((w) => w !== '');
      if (!(words.length === 1 || (words.length === 3 && words[1]!.toLowerCase() === 'as'))) {
        fail(node, file, 'FROM requires either one or three arguments');
      }
      const stageName = words[2]?.toLowerCase();
      if (stageName !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(stageName)) {
        fail(node, file, `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
      }
      return { kind: 'from', node, image: words[0]!, ...(stageName ? { stageName } : {}), ...(flags.has('platform') ? { platform: flags.get('platform')! } : {}) };
    }
    case 'run': {
      const flags = flagMap(node, file, ['network', 'mount', 'security']);
      needArgs();
      return { kind: 'run', node, form: commandForm(node.args), heredocs: node.heredocs, ...(flags.has('network') ? { network: flags.get('network')! } : {}) };
    }
    case 'cmd':
    case 'entrypoint':
      return { kind: node.cmd, node, form: commandForm(node.args) };
    case 'env':
    case 'label':
      return { kind: node.cmd, node, pairs: nameVals(node, file, escape, node.cmd.toUpperCase()) };
    case 'arg': {
      const words = splitWords(node.args, escape);
      if (words.length === 0) fail(node, file, 'ARG requires at least one argument');
      return {
        kind: 'arg',
        node,
        args: words.map((w) => {
          const eq = w.indexOf('=');
          if (eq === 0) fail(node, file, 'ARG names can not be blank');
          return eq < 0 ? { name: w } : { name: w.slice(0, eq), value: w.slice(eq + 1) };
        }),
      };
    }
    case 'expose':
      needArgs();
      return { kind: 'expose', node, words: splitWords(node.args, escape) };
    case 'volume': {
      needArgs();
      const form = commandForm(node.args);
      const words = form.json ? form.argv : splitWords(node.args, escape);
      if (words.some((w) => w.trim() === '')) fail(node, file, 'VOLUME specified can not be an empty string');
      return { kind: 'volume', node, words };
    }
    case 'workdir':
    case 'user':
    case 'stopsignal':
    case 'maintainer':
      if (node.args.trim() === '') fail(node, file, `${node.cmd.toUpperCase()} requires exactly one argument`);
      return { kind: node.cmd, node, value: node.args.trim() };
    case 'shell': {
      const form = commandForm(node.args);
      if (!form.json) fail(node, file, 'SHELL requires the arguments to be in JSON form');
      if (form.json && form.argv.length === 0) fail(node, file, 'SHELL requires at least one argument');
      return { kind: 'shell', node, argv: (form as { argv: string[] }).argv };
    }
    case 'copy':
    case 'add': {
      const flags = flagMap(node, file, node.cmd === 'copy' ? ['from', 'chown', 'chmod', 'link', 'parents', 'exclude'] : ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir', 'exclude']);
      const form = commandForm(node.args);
      const words = form.json ? form.argv : splitWords(node.args, escape);
      if (words.length < 2) fail(node, file, `${node.cmd.toUpperCase()} requires at least two arguments, but only one was provided. Destination could not be determined.`);
      return {
        kind: node.cmd,
        node,
        sources: words.slice(0, -1),
        dest: words.at(-1)!,
        heredocs: node.heredocs,
        ...(flags.has('from') ? { from: flags.get('from')! } : {}),
        ...(flags.has('chown') ? { chown: flags.get('chown')! } : {}),
        ...(flags.has('chmod') ? { chmod: flags.get('chmod')! } : {}),
        ...(flags.has('checksum') ? { checksum: flags.get('checksum')! } : {}),
      };
    }
    case 'healthcheck': {
      const flags = flagMap(node, file, ['interval', 'timeout', 'start-period', 'start-interval', 'retries']);
      const words = node.args.trim().split(/\s+/);
      const type = (words[0] ?? '').toUpperCase();
      if (type === 'NONE') {
        if (words.length > 1) fail(node, file, 'HEALTHCHECK NONE takes no arguments');
        return { kind: 'healthcheck', node, test: ['NONE'] };
      }
      if (type !== 'CMD') fail(node, file, `Unknown type "${type}" in HEALTHCHECK (try CMD)`);
      const cmdText = node.args.trim().slice(3).trim();
      if (cmdText === '') fail(node, file, 'Missing command after HEALTHCHECK CMD');
      const form = commandForm(cmdText);
      const h: HealthInstr = { kind: 'healthcheck', node, test: form.json ? ['CMD', ...form.argv] : ['CMD-SHELL', form.cmd] };
      const dur = (name: string, key: 'interval' | 'timeout' | 'startPeriod' | 'startInterval'): void => {
        const v = flags.get(name);
        if (v === undefined) return;
        const d = parseGoDuration(v);
        if (d === undefined) fail(node, file, `time: invalid duration "${v}"`);
        if (d! !== 0 && d! < 1e6) fail(node, file, `Interval "${name}" cannot be less than 1ms`);
        h[key] = d!;
      };
      dur('interval', 'interval');
      dur('timeout', 'timeout');
      dur('start-period', 'startPeriod');
      dur('start-interval', 'startInterval');
      const r = flags.get('retries');
      if (r !== undefined) {
        if (!/^-?\d+$/.test(r)) fail(node, file, `strconv.ParseInt: parsing "${r}": invalid syntax`);
        if (Number(r) < 0) fail(node, file, '--retries cannot be negative');
        h.retries = Number(r);
      }
      return h;
    }
    case 'onbuild': {
      const m = /^(\S+)/.exec(node.args.trim());
      if (!m) fail(node, file, 'ONBUILD requires at least one argument');
      const trigger = m![1]!.toUpperCase();
      if (trigger === 'ONBUILD') fail(node, file, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'FROM' || trigger === 'MAINTAINER') fail(node, file, `${trigger} isn't allowed as an ONBUILD trigger`);
      return { kind: 'onbuild', node, trigger: `${trigger}${node.args.trim().slice(m![1]!.length)}` };
    }
  }
  return fail(node, file, `unknown instruction: ${node.cmd.toUpperCase()}`);
}

/** Parses a Dockerfile into global ARGs and stages. Throws DockerfileParseError. */
export function parseStages(text: string, file = 'Dockerfile'): ParsedDockerfile {
  const df = parseDockerfile(text, file);
  const globalArgs: ArgInstr[] = [];
  const stages: Stage[] = [];
  const all: Instruction[] = [];
  for (const node of df.nodes) {
    const ins = toInstruction(node, df);
    all.push(ins);
    if (ins.kind === 'from') {
      stages.push({ ...(ins.stageName ? { name: ins.stageName } : {}), from: ins, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (ins.kind !== 'arg') fail(node, file, `${node.cmd.toUpperCase()} cannot be used before FROM`);
      globalArgs.push(ins as ArgInstr);
      continue;
    }
    stage.instructions.push(ins);
  }
  if (stages.length === 0) throw new DockerfileParseError('no build stage in current context', df.nodes.at(-1)?.line ?? 1, file);
  return { dockerfile: df, globalArgs, stages, all };
}

/** Parses one ONBUILD trigger (stored as `INSTR args`) into an instruction. */
export function parseTrigger(trigger: string, file: string): Instruction {
  const df = parseDockerfile(trigger, file);
  const node = df.nodes[0];
  if (node === undefined) throw new DockerfileParseError('empty ONBUILD trigger', 1, file);
  return toInstruction(node, df);
}
