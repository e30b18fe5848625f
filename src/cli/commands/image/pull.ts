import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidParameter } from '../../../errdefs/index.js';
import { defineCommand, type CliContext } from '../../command.js';
import { domainOfImage, encodeAuthHeader, loadCredentials } from '../../credentials.js';
import { ProgressDisplay } from '../../format/progress.js';

/** X-Registry-Auth for the registry of `image`, from config.json or a credential helper. */
export async function registryAuthFor(ctx: CliContext, image: string): Promise<string> {
  return encodeAuthHeader(await loadCredentials(ctx.configDir ?? join(homedir(), '.docker'), domainOfImage(image)));
}

/** `docker.io/library/busybox:latest` from `busybox` (the line docker pull prints last). */
function fullReference(image: string, tag: string | undefined): string {
  const domain = domainOfImage(image);
  let path = domain === 'docker.io' && image.startsWith('docker.io/') ? image.slice('docker.io/'.length) : image;
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  const name = domain === 'docker.io' ? `docker.io/${path}` : path;
  return tag === undefined ? name : tag.includes(':') ? `${name}@${tag}` : `${name}:${tag}`;
}

/** Splits `name[:tag][@digest]` into the API's fromImage and tag. */
export function splitPullReference(ref: string): { name: string; tag?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref };
}

export const imagePull = defineCommand({
  path: ['image', 'pull'],
  aliases: [['pull']],
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', description: 'Download all tagged images in the repository' },
    { name: 'disable-content-trust', type: 'bool', default: true, description: 'Skip image verification' },
    { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable', valueName: 'string' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
  ],
  async run(ctx, v, args) {
    const { name, tag: given } = splitPullReference(args[0]!);
    if (v['all-tags'] && given !== undefined) throw new InvalidParameter('tag can\'t be used with --all-tags/-a');
    let tag = given;
    if (!v['all-tags'] && tag === undefined) {
      tag = 'latest';
      if (!v.quiet) ctx.io.stdout.write('Using default tag: latest\n');
    }
    const display = new ProgressDisplay(ctx.io.stdout, ctx.io.stdout.isTTY === true);
    await ctx.client().imagePull(
      { fromImage: name, ...(tag !== undefined ? { tag } : {}), ...(v.platform ? { platform: v.platform } : {}), registryAuth: await registryAuthFor(ctx, name) },
      (m) => {
        if (!v.quiet) display.write(m);
      },
    );
    if (!v['all-tags']) ctx.io.stdout.write(`${fullReference(name, tag)}\n`);
    return 0;
  },
});
