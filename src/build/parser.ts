/**
 * The Dockerfile parser: text → logical lines ("nodes"), with Docker's rules for parser
 * directives (`# syntax=`, `# escape=` at the very top), comments, line continuations (the escape
 * token at the end of a line; comment and empty lines inside a continuation are skipped) and
 * heredocs (`RUN <<EOF`, `COPY <<-"EOF" /x`) on RUN, COPY and ADD. Arguments are kept raw here:
 * word expansion needs the build's variables and happens at dispatch (instructions.ts).
 *
 * @module
 */

/** A Dockerfile that cannot be parsed; the message names the file, the line and the instruction. */
export class DockerfileParseError extends Error {
  override readonly name = 'DockerfileParseError';
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly file: string,
  ) {
    super(`dockerfile parse error line ${line}: ${detail} (${file}:${line})`);
  }
}

export interface Heredoc {
  /** The delimiter word (also the file name for COPY/ADD). */
  name: string;
  content: string;
  /** Unquoted delimiters have their content expanded (COPY/ADD); quoted ones are literal. */
  expand: boolean;
  /** `<<-`: leading tabs were stripped. */
  chomp: boolean;
}

export interface Node {
  /** Lower-case instruction keyword. */
  cmd: string;
  /** The instruction as written, continuations joined (what `Step N/M :` prints). */
  original: string;
  /** Everything after the keyword, continuations joined. */
  rest: string;
  /** `--name=value` flags before the arguments (only where Docker has flags). */
  flags: string[];
  /** The arguments after the flags. */
  args: string;
  heredocs: Heredoc[];
  /** 1-based first line. */
  line: number;
  endLine: number;
}

export interface Dockerfile {
  file: string;
  escape: string;
  directives: Record<string, string>;
  nodes: Node[];
  warnings: string[];
}

export const INSTRUCTIONS = new Set([
  'add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label', 'maintainer',
  'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir',
]);

const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);
/** Instructions that take `--flag=value` options before their arguments. */
const FLAG_INSTRUCTIONS = new Set(['add', 'copy', 'from', 'healthcheck', 'run']);
const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2/g;

const isComment = (line: string): boolean => /^[ \t]*#/.test(line);
const isBlank = (line: string): boolean => /^[ \t]*$/.test(line);

/** Parses the flags (`--x=y`) at the start of an instruction's arguments. */
export function splitFlags(rest: string): { flags: string[]; args: string } {
  const flags: string[] = [];
  let s = rest.trimStart();
  for (;;) {
    const m = /^--([a-zA-Z][a-zA-Z0-9-]*)(=(?:"[^"]*"|'[^']*'|\S)*)?(?=\s|$)/.exec(s);
    if (!m) break;
    flags.push(m[0]);
    s = s.slice(m[0].length).trimStart();
  }
  return { flags, args: s };
}

/** Parses Dockerfile text. Throws DockerfileParseError. */
export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const directives: Record<string, string> = {};
  let i = 0;
  // Directives: only comment lines at the very top, each key once; any other line ends them.
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key !== 'syntax' && key !== 'escape' && key !== 'check') break;
    if (key in directives) throw new DockerfileParseError(`only one ${key} parser directive can be used`, i + 1, file);
    directives[key] = m[2]!;
  }
  const escape = directives.escape ?? '\\';
  if (escape !== '\\' && escape !== '`') throw new DockerfileParseError(`invalid escape token '${escape}' does not match ` + '` or \\', 1, file);
  const warnings: string[] = [];
  const nodes: Node[] = [];
  const contRe = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  for (i = 0; i < lines.length; i++) {
    const first = lines[i]!;
    if (isComment(first) || isBlank(first)) continue;
    const start = i + 1;
    let line = first.trimStart();
    let emptyContinuation = false;
    let more = contRe.test(line);
    if (more) line = line.replace(contRe, '');
    while (more && i + 1 < lines.length) {
      const next = lines[++i]!;
      if (isComment(next)) continue;
      if (isBlank(next)) {
        emptyContinuation = true;
        continue;
      }
      more = contRe.test(next);
      line += more ? next.replace(contRe, '') : next;
    }
    if (emptyContinuation) warnings.push(`[WARNING]: Empty continuation line found in: ${line}`);
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(line.trim());
    if (!m) continue;
    const cmd = m[1]!.toLowerCase();
    const rest = m[2] ?? '';
    if (!INSTRUCTIONS.has(cmd)) throw new DockerfileParseError(`unknown instruction: ${m[1]!.toUpperCase()}`, start, file);
    const heredocs: Heredoc[] = [];
    if (HEREDOC_INSTRUCTIONS.has(cmd) && !/^\s*\[/.test(splitFlags(rest).args)) {
      for (const h of rest.matchAll(HEREDOC)) {
        const name = h[3]!;
        const chomp = h[1] === '-';
        const body: string[] = [];
        let closed = false;
        while (++i < lines.length) {
          const l = chomp ? lines[i]!.replace(/^\t+/, '') : lines[i]!;
          if (l === name) {
            closed = true;
            break;
          }
          body.push(l);
        }
        if (!closed) throw new DockerfileParseError(`unterminated heredoc ${name} in ${cmd.toUpperCase()}`, start, file);
        heredocs.push({ name, content: body.length > 0 ? `${body.join('\n')}\n` : '', expand: h[2] === '', chomp });
      }
    }
    const { flags, args } = FLAG_INSTRUCTIONS.has(cmd) ? splitFlags(rest) : { flags: [], args: rest.trim() };
    nodes.push({ cmd, original: line.trim(), rest, flags, args, heredocs, line: start, endLine: i + 1 });
  }
  return { file, escape, directives, nodes, warnings };
}
