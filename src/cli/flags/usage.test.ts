// Expected help was recorded from the docker 28.2.2 CLI (`docker ps --help`, `docker logs --help`,
// stdout not a terminal, so 79 columns).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customFlag, flagUsages, usage, type FlagDef } from './index.js';

const PS = [
  { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
  customFlag({
    name: 'filter',
    short: 'f',
    type: 'custom',
    typeName: 'filter',
    default: [] as string[],
    set: (v, cur) => [...cur, v],
    description: 'Filter output based on conditions provided',
  }),
  {
    name: 'format',
    type: 'string',
    description:
      "Format output using a custom template:\n" +
      "'table':            Print output in table format with column headers (default)\n" +
      "'table TEMPLATE':   Print output in table format using the given Go template\n" +
      "'json':             Print in JSON format\n" +
      "'TEMPLATE':         Print output using the given Go template.\n" +
      'Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates',
  },
  { name: 'last', short: 'n', type: 'int', default: -1, description: 'Show n last created containers (includes all states)' },
  { name: 'latest', short: 'l', type: 'bool', description: 'Show the latest created container (includes all states)' },
  { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
  { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
  { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
] as const satisfies readonly FlagDef[];

const LOGS = [
  { name: 'since', type: 'string', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  { name: 'details', type: 'bool', description: 'Show extra details provided to logs' },
  { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
  { name: 'tail', short: 'n', type: 'string', default: 'all', description: 'Number of lines to show from the end of the logs' },
  { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
  { name: 'until', type: 'string', description: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
] as const satisfies readonly FlagDef[];

test('docker ps --help Options', () => {
  assert.equal(
    usage(PS),
    "Options:\n" +
    "  -a, --all             Show all containers (default shows just running)\n" +
    "  -f, --filter filter   Filter output based on conditions provided\n" +
    "      --format string   Format output using a custom template:\n" +
    "                        'table':            Print output in table format\n" +
    "                        with column headers (default)\n" +
    "                        'table TEMPLATE':   Print output in table format\n" +
    "                        using the given Go template\n" +
    "                        'json':             Print in JSON format\n" +
    "                        'TEMPLATE':         Print output using the given\n" +
    "                        Go template.\n" +
    "                        Refer to https://docs.docker.com/go/formatting/\n" +
    "                        for more information about formatting output with\n" +
    "                        templates\n" +
    "  -n, --last int        Show n last created containers (includes all\n" +
    "                        states) (default -1)\n" +
    "  -l, --latest          Show the latest created container (includes all\n" +
    "                        states)\n" +
    "      --no-trunc        Don't truncate output\n" +
    "  -q, --quiet           Only display container IDs\n" +
    "  -s, --size            Display total file sizes",
  );
});

test('docker logs --help Options (flags sorted by name)', () => {
  assert.equal(
    usage(LOGS),
    "Options:\n" +
    "      --details        Show extra details provided to logs\n" +
    "  -f, --follow         Follow log output\n" +
    "      --since string   Show logs since timestamp (e.g.\n" +
    "                       \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\"\n" +
    "                       for 42 minutes)\n" +
    "  -n, --tail string    Number of lines to show from the end of the logs\n" +
    "                       (default \"all\")\n" +
    "  -t, --timestamps     Show timestamps\n" +
    "      --until string   Show logs before a timestamp (e.g.\n" +
    "                       \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\"\n" +
    "                       for 42 minutes)",
  );
});

test('defaults are shown unless zero; strings are quoted', () => {
  const defs = [
    { name: 'b', type: 'bool', default: true, description: 'bool' },
    { name: 'd', type: 'duration', default: 90e9, description: 'duration' },
    { name: 'd0', type: 'duration', description: 'zero duration' },
    { name: 'f', type: 'float', default: 1.5, description: 'float' },
    { name: 'l', type: 'stringArray', default: ['a', 'b,c'], description: 'list' },
    { name: 's', type: 'stringSlice', description: 'slice' },
    { name: 'u', type: 'uint', default: 7, description: 'uint' },
    customFlag({ name: 'm', type: 'custom', typeName: 'map', default: {}, defaultText: 'map[]', set: (_v, c) => c, description: 'map' }),
  ] as const;
  assert.equal(
    flagUsages(defs, { cols: 0 }),
    '      --b               bool (default true)\n' +
      '      --d duration      duration (default 1m30s)\n' +
      '      --d0 duration     zero duration\n' +
      '      --f float         float (default 1.5)\n' +
      '      --l stringArray   list (default [a,"b,c"])\n' +
      '      --m map           map (default map[])\n' +
      '      --s strings       slice\n' +
      '      --u uint          uint (default 7)\n',
  );
});

test('value names: valueName, a `backquoted` word, and optional values', () => {
  const defs = [
    { name: 'add-host', type: 'stringArray', valueName: 'list', description: 'Add a custom host-to-IP mapping (host:ip)' },
    { name: 'config', type: 'string', description: 'Location of client config `files`' },
    { name: 'level', type: 'string', noOptDefault: 'info', description: 'Log level' },
    { name: 'ok', type: 'bool', noOptDefault: 'false', description: 'Inverted' },
  ] as const;
  assert.equal(
    usage(defs, { cols: 0, sort: false }),
    'Options:\n' +
      '      --add-host list           Add a custom host-to-IP mapping (host:ip)\n' +
      '      --config files            Location of client config files\n' +
      '      --level string[="info"]   Log level\n' +
      '      --ok[=false]              Inverted',
  );
});

test('hidden and deprecated flags are left out; none visible means no block', () => {
  const defs = [
    { name: 'secret', type: 'bool', hidden: true, description: 'x' },
    { name: 'old', type: 'bool', deprecated: 'gone', description: 'x' },
  ] as const;
  assert.equal(usage(defs), '');
  assert.equal(flagUsages(defs), '');
});

test('narrow terminals wrap the description as a block on the next line (16 columns in)', () => {
  const defs = [{ name: 'format', type: 'string', description: 'Format output using a custom template with many words' }] as const;
  assert.equal(
    usage(defs, { cols: 40 }),
    'Options:\n' +
      '      --format string   \n' +
      '                Format output\n' +
      '                using a custom\n' +
      '                template with many\n' +
      '                words',
  );
});
