import { defineCommand, type CliContext } from '../../command.js';
import { inspectEach } from '../../render.js';

function inspectAll(ctx: CliContext, names: string[], format: string): Promise<number> {
  return inspectEach(ctx, names, format, (n) => ctx.client().imageInspect(n));
}

const flags = [
  { name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template', valueName: 'string' },
] as const;

export const imageInspect = defineCommand({
  path: ['image', 'inspect'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Display detailed information on one or more images',
  minArgs: 1,
  flags,
  run: (ctx, v, args) => inspectAll(ctx, args, v.format),
});
