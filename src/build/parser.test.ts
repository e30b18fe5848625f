import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, DockerfileParseError } from './parser.js';
import { parseStages, splitWords, commandForm, parseGoDuration } from './instructions.js';
import { processWord, processWords } from './shell-lex.js';

const vars = (m: Record<string, string>) => (n: string): string | undefined => m[n];

test('continuations join lines, skip comments and blank lines inside them', () => {
  const df = parseDockerfile('FROM a\nRUN echo a \\\n  # a comment\n  && echo b \\\n\n  && echo c\n');
  assert.equal(df.nodes.length, 2);
  assert.equal(df.nodes[1]!.args, 'echo a   && echo b   && echo c');
  assert.equal(df.nodes[1]!.line, 2);
  assert.equal(df.warnings.length, 1);
});

test('escape directive switches the continuation character to a backtick', () => {
  const df = parseDockerfile('# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo x\n');
  assert.equal(df.escape, '`');
  assert.equal(df.nodes[1]!.args, 'dir c:\\   && echo x');
});

test('syntax directive is read; a directive after an instruction is a comment', () => {
  const df = parseDockerfile('# syntax=docker/dockerfile:1\nFROM a\n# escape=`\nRUN x \\\n y\n');
  assert.equal(df.directives.syntax, 'docker/dockerfile:1');
  assert.equal(df.escape, '\\');
  assert.equal(df.nodes[1]!.args, 'x  y');
});

test('comments and instruction case', () => {
  const df = parseDockerfile('# hello\nfrom a\n   # indented comment\nrun true\n');
  assert.deepEqual(df.nodes.map((n) => n.cmd), ['from', 'run']);
});

test('unknown instruction names the file and the line', () => {
  assert.throws(() => parseDockerfile('FROM a\nFOO bar\n', 'my.Dockerfile'), (e: unknown) => {
    assert.ok(e instanceof DockerfileParseError);
    assert.equal(e.message, 'dockerfile parse error line 2: unknown instruction: FOO (my.Dockerfile:2)');
    return true;
  });
});

test('heredocs on RUN and COPY, with <<- and quoted delimiters', () => {
  const df = parseDockerfile('FROM a\nRUN <<EOF\necho $HOME\necho b\nEOF\nCOPY <<-"END" /x\n\tliteral $X\n\tEND\nRUN true\n');
  assert.equal(df.nodes.length, 4);
  assert.deepEqual(df.nodes[1]!.heredocs, [{ name: 'EOF', content: 'echo $HOME\necho b\n', expand: true, chomp: false }]);
  assert.deepEqual(df.nodes[2]!.heredocs, [{ name: 'END', content: 'literal $X\n', expand: false, chomp: true }]);
  assert.equal(df.nodes[3]!.line, 9);
});

test('unterminated heredoc is an error on its instruction line', () => {
  assert.throws(() => parseDockerfile('FROM a\nRUN <<EOF\necho hi\n'), /dockerfile parse error line 2: unterminated heredoc EOF in RUN \(Dockerfile:2\)/);
});

test('variable substitution: $V, ${V}, :- - :+ + and quoting', () => {
  const v = vars({ A: 'x', E: '' });
  assert.equal(processWord('$A ${A}', v), 'x x');
  assert.equal(processWord('${E:-d} ${E-d} ${U-d} ${U:-d}', v), 'd  d d');
  assert.equal(processWord('${A:+alt} ${E:+alt} ${E+alt} ${U+alt}', v), 'alt  alt ');
  assert.equal(processWord("'$A' \"$A\" \\$A", v), '$A x $A');
  assert.equal(processWord('${U:-"a b"}', v), 'a b');
  assert.throws(() => processWord('${U:?must be set}', v), /U: must be set/);
  assert.deepEqual(processWords('a "b c" d\\ e', v), ['a', 'b c', 'd e']);
  assert.equal(processWord('$', v), '$');
});

test('stages, AS names, global ARGs and argument forms', () => {
  const p = parseStages('ARG V=1\nFROM busybox:$V AS Build\nENV A=1 B="two words"\nENV C legacy value\nCMD ["a","b"]\nENTRYPOINT echo hi\nFROM scratch\nCOPY --from=build --chown=1:2 /a /b /dst/\n');
  assert.equal(p.globalArgs.length, 1);
  assert.equal(p.stages.length, 2);
  assert.equal(p.stages[0]!.name, 'build');
  const env = p.stages[0]!.instructions[0]!;
  assert.ok(env.kind === 'env');
  assert.deepEqual(env.pairs, [['A', '1'], ['B', '"two words"']]);
  const legacy = p.stages[0]!.instructions[1]!;
  assert.ok(legacy.kind === 'env');
  assert.deepEqual(legacy.pairs, [['C', 'legacy value']]);
  const cp = p.stages[1]!.instructions[0]!;
  assert.ok(cp.kind === 'copy');
  assert.deepEqual([cp.from, cp.chown, cp.sources, cp.dest], ['build', '1:2', ['/a', '/b'], '/dst/']);
});

test('argument errors are Docker\'s', () => {
  assert.throws(() => parseStages('FROM a AS\n'), /FROM requires either one or three arguments/);
  assert.throws(() => parseStages('RUN true\n'), /RUN cannot be used before FROM/);
  assert.throws(() => parseStages('FROM a\nSHELL /bin/sh\n'), /SHELL requires the arguments to be in JSON form/);
  assert.throws(() => parseStages('FROM a\nONBUILD ONBUILD RUN x\n'), /Chaining ONBUILD/);
  assert.throws(() => parseStages('FROM a\nCOPY x\n'), /COPY requires at least two arguments/);
});

test('helpers: word split, exec form, durations', () => {
  assert.deepEqual(splitWords('a="b c" d', '\\'), ['a="b c"', 'd']);
  assert.deepEqual(commandForm('["sh", "-c"]'), { json: true, argv: ['sh', '-c'] });
  assert.deepEqual(commandForm('[not json'), { json: false, cmd: '[not json' });
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('bad'), undefined);
});
