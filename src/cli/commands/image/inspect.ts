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

/** `estiba inspect`: objects of any type; images are the only kind this daemon has yet. */
export const inspect = defineCommand({
  path: ['inspect'],
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on Docker objects',
  minArgs: 1,
  flags: [...flags, { name: 'type', type: 'string', description: 'Only inspect objects of the given type', valueName: 'string' }, { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes if the type is container' }] as const,
  async run(ctx, v, args) {
    if (v.type !== '' && v.type !== 'image') {
      ctx.io.stderr.write(`${messageOf(new Error(`"${v.type}" is not a valid value for --type`))}\n`);
      return 1;
    }
    return inspectAll(ctx, args, v.format);
  },
});
