import { defineCommand } from '../../command.js';
import { printFormatted } from '../../render.js';
import { parseFilterFlags } from '../../filters.js';
import { IMAGE_HEADERS, imageRows } from './context.js';

const DEFAULT_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const DIGEST_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

export const imageLs = defineCommand({
  path: ['image', 'ls'],
  aliases: [['images'], ['image', 'list']],
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  maxArgs: 1,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all images (default hides intermediate images)' },
    { name: 'digests', type: 'bool', description: 'Show digests' },
    { name: 'filter', short: 'f', type: 'stringArray', description: 'Filter output based on conditions provided', valueName: 'filter' },
    { name: 'format', type: 'string', description: 'Format output using a custom template', valueName: 'string' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  async run(ctx, v, args) {
    const filters = parseFilterFlags(v.filter);
    if (args[0]) filters.set('reference', [...(filters.get('reference') ?? []), args[0]]);
    const images = await ctx.client().imageList({ all: v.all, filters });
    // -q is the {{.ID}} format over the same rows: an image with two tags prints twice, as in docker.
    const format = v.quiet ? '{{.ID}}' : v.format !== '' ? v.format : v.digests ? DIGEST_FORMAT : DEFAULT_FORMAT;
    printFormatted(ctx, {
      format,
      items: imageRows(images, { noTrunc: v['no-trunc'], digests: v.digests, now: ctx.now() }),
      headers: IMAGE_HEADERS,
    });
    return 0;
  },
});
