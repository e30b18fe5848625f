import { isNotFound, messageOf } from '../../../errdefs/index.js';
import { defineCommand, type CliContext } from '../../command.js';
import { printInspect } from '../../render.js';
import { daemonError } from '../../errors.js';

async function inspectAll(ctx: CliContext, names: string[], format: string): Promise<number> {
  const items: unknown[] = [];
  const errors: string[] = [];
  for (const n of names) {
    try {
      items.push(await ctx.client().imageInspect(n));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      errors.push(daemonError(err) ?? messageOf(err));
    }
  }
  printInspect(ctx, items, format);
  for (const e of errors) ctx.io.stderr.write(`${e}\n`);
  return errors.length > 0 ? 1 : 0;
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
