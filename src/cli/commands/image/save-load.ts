import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { InvalidParameter } from '../../../errdefs/index.js';
import { defineCommand } from '../../command.js';

export const imageSave = defineCommand({
  path: ['image', 'save'],
  aliases: [['save']],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  minArgs: 1,
  flags: [
    { name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT', valueName: 'string' },
    { name: 'platform', type: 'stringSlice', description: 'Save only the given platform(s)', valueName: 'stringSlice' },
  ],
  async run(ctx, v, args) {
    if (v.output === '' && ctx.io.stdout.isTTY) {
      throw new InvalidParameter('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    const tar = await ctx.client().imageSave(args);
    if (v.output === '') {
      await pipeline(tar, ctx.io.stdout, { end: false });
      return 0;
    }
    // Write beside the target and rename, so a failed save never leaves a truncated archive.
    const tmp = `${v.output}.estiba-tmp-${process.pid}`;
    try {
      await pipeline(tar, createWriteStream(tmp));
      await rename(tmp, v.output);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return 0;
  },
});

export const imageLoad = defineCommand({
  path: ['image', 'load'],
  aliases: [['load']],
  usage: '[OPTIONS]',
  description: 'Load an image from a tar archive or STDIN',
  maxArgs: 0,
  flags: [
    { name: 'input', short: 'i', type: 'string', description: 'Read from tar archive file, instead of STDIN', valueName: 'string' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
    { name: 'platform', type: 'stringSlice', description: 'Load only the given platform(s)', valueName: 'stringSlice' },
  ],
  async run(ctx, v) {
    if (v.input === '' && ctx.io.stdin.isTTY) {
      throw new InvalidParameter('requested load from stdin, but stdin is empty');
    }
    const input = v.input === '' ? ctx.io.stdin : createReadStream(v.input);
    await ctx.client().imageLoad(input, { quiet: v.quiet }, (m) => {
      if (m.stream) ctx.io.stdout.write(m.stream);
      else if (m.status && !v.quiet) ctx.io.stdout.write(`${m.status}\n`);
    });
    return 0;
  },
});
