import { containerList } from '../../../client/containers.js';
import { defineCommand } from '../../command.js';
import { parseFilterFlags } from '../../filters.js';
import { printFormatted } from '../../render.js';
import { CONTAINER_HEADERS, containerRows } from './context.js';

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const FORMAT_HELP =
  "Format output using a custom template:\n" +
  "'table':            Print output in table format with column headers (default)\n" +
  "'table TEMPLATE':   Print output in table format using the given Go template\n" +
  "'json':             Print in JSON format\n" +
  "'TEMPLATE':         Print output using the given Go template.\n" +
  'Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates';

export const psCommand = defineCommand({
  path: ['container', 'ls'],
  aliases: [['ps'], ['container', 'list'], ['container', 'ps']],
  usage: '[OPTIONS]',
  description: 'List containers',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'filter', short: 'f', type: 'stringArray', description: 'Filter output based on conditions provided', valueName: 'filter' },
    { name: 'format', type: 'string', description: FORMAT_HELP, valueName: 'string' },
    { name: 'last', short: 'n', type: 'int', default: -1, description: 'Show n last created containers (includes all states)' },
    { name: 'latest', short: 'l', type: 'bool', description: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
  ] as const,
  async run(ctx, v) {
    let format = v.format;
    if (v.quiet) format = '{{.ID}}';
    else if (format === '' || format === 'table') format = v.size ? `${DEFAULT_FORMAT}\t{{.Size}}` : DEFAULT_FORMAT;
    // docker asks the daemon for sizes only when they are shown.
    const size = v.size || v.format.includes('.Size');
    const limit = v.latest ? 1 : v.last;
    const list = await containerList(ctx.client(), {
      all: v.all || limit > 0,
      ...(limit > 0 ? { limit } : {}),
      size: size && !v.quiet,
      filters: parseFilterFlags(v.filter),
    });
    printFormatted(ctx, { format, items: containerRows(list, { trunc: !v['no-trunc'], now: ctx.now() }), headers: CONTAINER_HEADERS });
    return 0;
  },
});
