/**
 * Word processing for Dockerfile arguments, with the semantics of BuildKit's shell lexer (which
 * dockerd's classic builder uses too): quotes are removed, the escape token escapes the next
 * character, and `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`,
 * `${VAR:?msg}`, `${VAR?msg}` expand against the build's variables. Unset variables expand to ''.
 *
 * @module
 */

/** Variables visible to an instruction: undefined means unset (empty string is set). */
export type Vars = (name: string) => string | undefined;

export class ShellLexError extends Error {
  override readonly name = 'ShellLexError';
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

class Lexer {
  pos = 0;
  constructor(
    readonly src: string,
    readonly escape: string,
    readonly vars: Vars,
    /** Collects the names of variables that were looked up (for build-arg accounting). */
    readonly used: Set<string>,
  ) {}

  peek(): string {
    return this.src[this.pos] ?? '';
  }

  next(): string {
    return this.src[this.pos++] ?? '';
  }

  eof(): boolean {
    return this.pos >= this.src.length;
  }

  /** Reads words; `split` separates at unquoted whitespace, else the whole input is one word. */
  words(split: boolean, stopAt?: string): string[] {
    const out: string[] = [];
    let cur = '';
    let inWord = false;
    while (!this.eof()) {
      const ch = this.peek();
      if (stopAt !== undefined && ch === stopAt) break;
      if (split && (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r')) {
        this.pos++;
        if (inWord) out.push(cur);
        cur = '';
        inWord = false;
        continue;
      }
      inWord = true;
      if (ch === this.escape) {
        this.pos++;
        if (this.eof()) {
          cur += ch;
          break;
        }
        cur += this.next();
      } else if (ch === "'") {
        this.pos++;
        cur += this.singleQuoted();
      } else if (ch === '"') {
        this.pos++;
        cur += this.doubleQuoted();
      } else if (ch === '$') {
        cur += this.dollar();
      } else {
        this.pos++;
        cur += ch;
      }
    }
    if (inWord || (!split && out.length === 0)) out.push(cur);
    return out;
  }

  singleQuoted(): string {
    let s = '';
    for (;;) {
      if (this.eof()) throw new ShellLexError('unexpected end of statement while looking for matching single-quote');
      const ch = this.next();
      if (ch === "'") return s;
      s += ch;
    }
  }

  doubleQuoted(): string {
    let s = '';
    for (;;) {
      if (this.eof()) throw new ShellLexError('unexpected end of statement while looking for matching double-quote');
      const ch = this.peek();
      if (ch === '"') {
        this.pos++;
        return s;
      }
      if (ch === '$') {
        s += this.dollar();
        continue;
      }
      this.pos++;
      if (ch === this.escape) {
        const n = this.peek();
        // Inside double quotes the escape only escapes these; elsewhere it stays literal.
        if (n === '"' || n === '$' || n === this.escape || n === '`') {
          this.pos++;
          s += n;
          continue;
        }
      }
      s += ch;
    }
  }

  lookup(name: string): string | undefined {
    this.used.add(name);
    return this.vars(name);
  }

  dollar(): string {
    this.pos++; // '$'
    const ch = this.peek();
    if (ch === '{') {
      this.pos++;
      return this.braced();
    }
    if (ch !== '' && NAME_START.test(ch)) {
      let name = '';
      while (!this.eof() && NAME_CHAR.test(this.peek())) name += this.next();
      return this.lookup(name) ?? '';
    }
    return '$';
  }

  braced(): string {
    let name = '';
    while (!this.eof() && NAME_CHAR.test(this.peek())) name += this.next();
    if (name === '') throw new ShellLexError(`missing ':' in substitution`);
    const ch = this.next();
    if (ch === '}') return this.lookup(name) ?? '';
    let colon = false;
    let op = ch;
    if (ch === ':') {
      colon = true;
      op = this.next();
    }
    if (op !== '-' && op !== '+' && op !== '?') {
      throw new ShellLexError(`unsupported modifier (${colon ? ':' : ''}${op}) in substitution`);
    }
    const word = this.words(false, '}')[0] ?? '';
    if (this.next() !== '}') throw new ShellLexError(`missing '}' in substitution`);
    const value = this.lookup(name);
    const set = colon ? value !== undefined && value !== '' : value !== undefined;
    if (op === '-') return set ? value! : word;
    if (op === '+') return set ? word : '';
    if (!set) throw new ShellLexError(`${name}: ${word === '' ? 'is not allowed to be unset' : word}`);
    return value!;
  }
}

/** Processes one word (quotes removed, variables expanded); whitespace is kept. */
export function processWord(word: string, vars: Vars, escape = '\\', used = new Set<string>()): string {
  return new Lexer(word, escape, vars, used).words(false)[0] ?? '';
}

/** Processes a string into words split at unquoted whitespace. */
export function processWords(text: string, vars: Vars, escape = '\\', used = new Set<string>()): string[] {
  return new Lexer(text, escape, vars, used).words(true);
}
