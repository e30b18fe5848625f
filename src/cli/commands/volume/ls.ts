import { defineCommand } from '../../command.js';
import { parseFilterFlags } from '../../filters.js';
import { printFormatted } from '../../render.js';
import { VOLUME_HEADERS, volumeRows } from './context.js';

const DEFAULT_FORMAT = 'table {{.Driver}}\t{{.Name}}';

export const volumeLs = defineCommand({
  path: ['volume', 'ls'],
  aliases: [['volume', 'list']],
  usage: '[OPTIONS]',
  description: 'List volumes',
  maxArgs: 0,
  flags: [
    { name: 'filter', short: 'f', type: 'stringArray', description: 'Provide filter values (e.g. "dangling=true")', valueName: 'filter' },
    { name: 'format', type: 'string', description: 'Format output using a custom template', valueName: 'string' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display volume names' },
  ],
  async run(ctx, v) {
    const res = await ctx.client().volumeList(parseFilterFlags(v.filter));
    // docker/cli sorts by name whatever order the daemon used.
    const vols = [...(res.Volumes ?? [])].sort((a, b) => a.Name.localeCompare(b.Name));
    const format = v.quiet ? '{{.Name}}' : v.format !== '' ? v.format : DEFAULT_FORMAT;
    printFormatted(ctx, { format, items: volumeRows(vols), headers: VOLUME_HEADERS });
    for (const w of res.Warnings ?? []) ctx.io.stderr.write(`${w}\n`);
    return 0;
  },
});
