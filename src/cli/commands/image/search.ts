import { defineCommand } from '../../command.js';
import { parseFilterFlags } from '../../filters.js';
import { tabulate } from '../../format/tabwriter.js';
import { registryAuthFor } from './pull.js';

export const searchCommand = defineCommand({
  path: ['search'],
  usage: '[OPTIONS] TERM',
  description: 'Search Docker Hub for images',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'filter', short: 'f', type: 'stringArray', description: 'Filter output based on conditions provided', valueName: 'filter' },
    { name: 'limit', type: 'int', default: 25, description: 'Max number of search results', valueName: 'int' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
  ],
  async run(ctx, v, args) {
    const term = args[0]!;
    const results = await ctx.client().imageSearch({ term, limit: v.limit, filters: parseFilterFlags(v.filter), registryAuth: await registryAuthFor(ctx, term) });
    const rows = results.map((r) => {
      let desc = (r.description ?? '').replace(/\n/g, ' ');
      if (!v['no-trunc'] && desc.length > 45) desc = `${desc.slice(0, 44)}…`;
      return [r.name, desc, String(r.star_count ?? 0), r.is_official ? '[OK]' : ''];
    });
    ctx.io.stdout.write(tabulate([['NAME', 'DESCRIPTION', 'STARS', 'OFFICIAL'], ...rows]));
    return 0;
  },
});
