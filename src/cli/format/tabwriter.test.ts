import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALIGN_RIGHT,
  DEBUG,
  DISCARD_EMPTY_COLUMNS,
  DOCKER_TABLE,
  TabWriter,
  tabulate,
  type TabWriterOptions,
} from './tabwriter.js';
import { displayWidth } from './width.js';

const dots = (minwidth: number, padding: number, flags = 0): Partial<TabWriterOptions> => ({
  minwidth,
  tabwidth: 0,
  padding,
  padchar: '.',
  flags,
});

/** Output must not depend on how the input is split across write() calls. */
function check(input: string, opts: Partial<TabWriterOptions>, want: string): void {
  assert.equal(tabulate(input, opts), want, 'one write');
  const w = new TabWriter(opts);
  for (const ch of input) w.write(ch);
  assert.equal(w.flush(), want, 'one write per character');
  const h = new TabWriter(opts);
  const mid = Math.floor(input.length / 2);
  h.write(input.slice(0, mid));
  const first = h.flush();
  // Flushing midway fixes the layout of what was written so far, so only compare when that
  // cannot change anything: an input with no cells.
  if (!/[\t\v]/.test(input)) {
    h.write(input.slice(mid));
    assert.equal(first + h.flush(), want, 'two writes with a flush between');
  }
}

test('empty input and bare newlines pass through', () => {
  check('', dots(8, 1), '');
  check('\n\n\n', dots(8, 1), '\n\n\n');
  check('a\nb\nc', dots(8, 1), 'a\nb\nc');
  check('Hello, world!\n', dots(8, 1), 'Hello, world!\n');
});

test('a trailing tab terminates an empty cell with nothing to print', () => {
  check('\t', dots(8, 1), '');
  check('\t\n', dots(8, 1), '........\n');
});

test('cells are tab-terminated; the last cell of a line is not aligned', () => {
  check('x\ty', dots(8, 1), 'x.......y');
  check('x\ty\t', dots(8, 1), 'x.......y');
  check('x) foo\tbar\n', dots(8, 1), 'x) foo..bar\n');
  check('x) foo\tbar\t\n', dots(8, 1), 'x) foo..bar.....\n');
});

test('columns widen to their widest cell plus padding', () => {
  check(
    'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n',
    dots(8, 1),
    'a.......b.......c\naa......bbb.....cccc\naaa.....bbbb\n',
  );
  check('1\t2\t3\t4\n11\t222\t3333\t44444\n', dots(1, 0), '1.2..3...4\n11222333344444\n');
  check('1\t2\t3\t4\t\n', dots(5, 0), '1....2....3....4....\n');
});

test('a column block ends at a line with fewer cells', () => {
  check(
    '4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
    dots(4, 3),
    '4444........333...22...1...333\n' +
      '999999999...22\n' +
      '7...........22\n' +
      '....................88888888\n' +
      '\n' +
      '666666...666666...666666......4444\n' +
      '1........1........999999999...0000000000\n',
  );
});

test('a formfeed ends the line and flushes all columns', () => {
  check('1\t2\t3\t4\f11\t222\t3333\t44444\n', dots(1, 0), '1234\n11222333344444\n');
  check('1\t2\t3\t4\f11\t222\t3333\t44444\n', dots(1, 0, DEBUG), '1|2|3|4\n---\n11|222|3333|44444\n');
});

test('AlignRight pads on the left', () => {
  check('x\ty\t', dots(8, 1, ALIGN_RIGHT), '.......xy');
  check(
    '.0\t.3\t2.4\t-5.1\t\n23.0\t12345678.9\t2.4\t-989.4\t\n',
    { minwidth: 1, tabwidth: 0, padding: 2, padchar: ' ', flags: ALIGN_RIGHT },
    '    .0          .3  2.4    -5.1\n  23.0  12345678.9  2.4  -989.4\n',
  );
});

test('Debug draws bars between columns', () => {
  check('x\ty\t', dots(8, 1, DEBUG), 'x.......|y');
});

test('DiscardEmptyColumns drops soft-tab columns only', () => {
  check('a\t\tb', dots(4, 0, DISCARD_EMPTY_COLUMNS), 'a.......b');
  check('a\v\vb', dots(4, 0, DISCARD_EMPTY_COLUMNS), 'a...b');
  check('a\v\vb', dots(4, 0, ALIGN_RIGHT | DISCARD_EMPTY_COLUMNS), '...ab');
});

test('tab padding rounds cells up to tab stops', () => {
  const tabs = { minwidth: 8, tabwidth: 8, padding: 1, padchar: '\t', flags: 0 };
  check('4444\t333\t22\t1\t333\n999999999\t22\n', tabs, '4444\t\t333\t22\t1\t333\n999999999\t22\n');
  check('a\tb\t\td\na\n', { minwidth: 100, tabwidth: 100, padding: 0, padchar: '\t', flags: 0 }, 'a\tb\t\td\na\n');
});

test('wide characters count two columns (docker measures with go-runewidth)', () => {
  assert.equal(displayWidth('本'), 2);
  assert.equal(displayWidth('é'), 1);
  assert.equal(displayWidth('e\u0301'), 1);
  assert.equal(displayWidth('😀'), 2);
  check('本\tb\tc\naa\t本本本\tcccc\tddddd\naaa\tbbbb\n', dots(8, 1), '本......b.......c\naa......本本本..cccc....ddddd\naaa.....bbbb\n');
});

test('docker table: table {{.ID}}\\t{{.Size}}', () => {
  const out = tabulate('IMAGE ID\tSIZE\nsha256:0123456789ab\t7.8MB\nabc\t1GB\n', DOCKER_TABLE);
  assert.equal(out, 'IMAGE ID              SIZE\nsha256:0123456789ab   7.8MB\nabc                   1GB\n');
});

test('docker table: minimum width 10 and 3 spaces of padding', () => {
  assert.equal(
    tabulate([
      ['NAME', 'DESCRIPTION'],
      ['default', 'Current DOCKER_HOST based configuration'],
    ]),
    'NAME      DESCRIPTION\ndefault   Current DOCKER_HOST based configuration\n',
  );
  assert.equal(tabulate([['a', '', 'c'], ['', 'b', '']]), 'a                   c\n          b         \n');
});

test('rows given as arrays end with a newline each', () => {
  assert.equal(tabulate([]), '');
  assert.equal(tabulate([['only']]), 'only\n');
});

test('negative options are rejected', () => {
  assert.throws(() => new TabWriter({ padding: -1 }), RangeError);
});
