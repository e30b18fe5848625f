/**
 * `container inspect` and the generic `inspect`, which looks a name up as a container, then an
 * image, a volume and a network, in docker's order, and prints the first that answers.
 *
 * @module
 */
import { isNotFound, isNotImplemented, messageOf } from '../../../errdefs/index.js';
import { containerInspect } from '../../../client/containers.js';
import { defineCommand, type CliContext } from '../../command.js';
import { daemonError } from '../../errors.js';
import { inspectEach, printInspect } from '../../render.js';

const enc = encodeURIComponent;
type Kind = 'container' | 'image' | 'volume' | 'network';
const KINDS: readonly Kind[] = ['container', 'image', 'volume', 'network'];

function fetchKind(ctx: CliContext, kind: Kind, name: string, size: boolean): Promise<unknown> {
  const c = ctx.client();
  switch (kind) {
    case 'container':
      return containerInspect(c, name, { size });
    case 'image':
      return c.imageInspect(name);
    case 'volume':
      return c.json({ method: 'GET', path: `/volumes/${enc(name)}` });
    case 'network':
      return c.json({ method: 'GET', path: `/networks/${enc(name)}` });
  }
}

const formatFlag = { name: 'format', short: 'f', type: 'string', description: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates", valueName: 'string' } as const;
const sizeFlag = { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' } as const;

export const containerInspectCommand = defineCommand({
  path: ['container', 'inspect'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Display detailed information on one or more containers',
  minArgs: 1,
  flags: [formatFlag, sizeFlag] as const,
  async run(ctx, v, args) {
    return inspectEach(ctx, args, v.format, (n) => containerInspect(ctx.client(), n, { size: v.size }));
  },
});

export const inspectCommand = defineCommand({
  path: ['inspect'],
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on Docker objects',
  minArgs: 1,
  flags: [
    formatFlag,
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes if the type is container' },
    { name: 'type', type: 'string', description: 'Only inspect objects of the given type', valueName: 'string' },
  ] as const,
  async run(ctx, v, args) {
    const known = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];
    if (v.type !== '' && !known.includes(v.type)) {
      ctx.io.stderr.write(`"${v.type}" is not a valid value for --type\n`);
      return 1;
    }
    const kinds = v.type === '' ? KINDS : KINDS.filter((k) => k === v.type);
    const items: unknown[] = [];
    const errors: string[] = [];
    for (const n of args) {
      let found = false;
      for (const k of kinds) {
        try {
          items.push(await fetchKind(ctx, k, n, v.size));
          found = true;
          break;
        } catch (err) {
          // A kind this daemon does not have (yet) is as good as not found; asked for one
          // type, the daemon's own answer is the error.
          if ((!isNotFound(err) && !isNotImplemented(err)) || v.type !== '') {
            errors.push(daemonError(err) ?? messageOf(err));
            found = true;
            break;
          }
        }
      }
      if (!found) errors.push(`Error: No such object: ${n}`);
    }
    printInspect(ctx, items, v.format);
    for (const e of errors) ctx.io.stderr.write(`${e}\n`);
    return errors.length > 0 ? 1 : 0;
  },
});
