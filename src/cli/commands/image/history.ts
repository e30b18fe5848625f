import { defineCommand } from '../../command.js';
import { printFormatted } from '../../render.js';
import { HISTORY_HEADERS, historyRows } from './context.js';

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
/** With -H=false docker shows the absolute time, under CREATED AT. */
const RAW_FORMAT = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export const imageHistory = defineCommand({
  path: ['image', 'history'],
  aliases: [['history']],
  usage: '[OPTIONS] IMAGE',
  description: 'Show the history of an image',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'format', type: 'string', description: 'Format output using a custom template', valueName: 'string' },
    { name: 'human', short: 'H', type: 'bool', default: true, description: 'Print sizes and dates in human readable format' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  async run(ctx, v, args) {
    const items = await ctx.client().imageHistory(args[0]!);
    const rows = historyRows(items, { noTrunc: v['no-trunc'], human: v.human, now: ctx.now() });
    if (v.quiet) {
      for (const r of rows) ctx.io.stdout.write(`${r.ID}\n`);
      return 0;
    }
    printFormatted(ctx, { format: v.format || (v.human ? DEFAULT_FORMAT : RAW_FORMAT), items: rows, headers: HISTORY_HEADERS });
    return 0;
  },
});
