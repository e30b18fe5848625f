import { createInterface } from 'node:readline/promises';
import { defineCommand, type CliContext } from '../../command.js';
import { parseFilterFlags } from '../../filters.js';
import { humanSize } from '../../format/units.js';

/** Docker's confirmation prompt; anything but y/yes declines. */
export async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  ctx.io.stdout.write(`${message}\nAre you sure you want to continue? [y/N] `);
  const rl = createInterface({ input: ctx.io.stdin, terminal: false });
  try {
    for await (const line of rl) return /^y(es)?$/i.test(line.trim());
    return false;
  } finally {
    rl.close();
  }
}

export const imagePrune = defineCommand({
  path: ['image', 'prune'],
  usage: '[OPTIONS]',
  description: 'Remove unused images',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
    { name: 'filter', type: 'stringArray', description: 'Provide filter values (e.g. "until=<timestamp>")', valueName: 'filter' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, v) {
    const filters = parseFilterFlags(v.filter);
    filters.set('dangling', [v.all ? 'false' : 'true']);
    const warning = v.all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.';
    if (!v.force && !(await confirm(ctx, warning))) return 0;
    const res = await ctx.client().imagePrune(filters);
    const deleted = res.ImagesDeleted ?? [];
    if (deleted.length > 0) {
      ctx.io.stdout.write('Deleted Images:\n');
      for (const d of deleted) {
        ctx.io.stdout.write('Untagged' in d ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`);
      }
      ctx.io.stdout.write('\n');
    }
    ctx.io.stdout.write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed)}\n`);
    return 0;
  },
});
