import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidParameter } from '../../../errdefs/index.js';
import { defineCommand } from '../../command.js';
import { HUB_SERVER, eraseCredentials, serverKey, storeCredentials } from '../../credentials.js';

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const c of stream) s += (c as Buffer).toString();
  return s;
}

export const loginCommand = defineCommand({
  path: ['login'],
  usage: '[OPTIONS] [SERVER]',
  description: 'Authenticate to a registry',
  maxArgs: 1,
  flags: [
    { name: 'password', short: 'p', type: 'string', description: 'Password or Personal Access Token (PAT)', valueName: 'string' },
    { name: 'password-stdin', type: 'bool', description: 'Take the Password or Personal Access Token (PAT) from stdin' },
    { name: 'username', short: 'u', type: 'string', description: 'Username', valueName: 'string' },
  ],
  async run(ctx, v, args) {
    const server = args[0] ? serverKey(args[0]) : HUB_SERVER;
    let password = v.password;
    if (v['password-stdin']) {
      if (password) throw new InvalidParameter('--password and --password-stdin are mutually exclusive');
      if (!v.username) throw new InvalidParameter('Must provide --username with --password-stdin');
      password = (await readStdin(ctx.io.stdin)).replace(/\r?\n$/, '');
    } else if (password) {
      ctx.io.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (!v.username || !password) throw new InvalidParameter('Error: Cannot perform an interactive login from a non TTY device');
    const res = await ctx.client().registryLogin({ username: v.username, password, serveraddress: server });
    const creds = res.IdentityToken ? { serveraddress: server, username: v.username, identitytoken: res.IdentityToken } : { serveraddress: server, username: v.username, password };
    await storeCredentials(ctx.configDir ?? join(homedir(), '.docker'), creds);
    ctx.io.stdout.write(`${res.Status || 'Login Succeeded'}\n`);
    return 0;
  },
});

export const logoutCommand = defineCommand({
  path: ['logout'],
  usage: '[SERVER]',
  description: 'Log out from a registry',
  maxArgs: 1,
  flags: [],
  async run(ctx, _v, args) {
    const server = args[0] ? serverKey(args[0]) : HUB_SERVER;
    const had = await eraseCredentials(ctx.configDir ?? join(homedir(), '.docker'), server);
    ctx.io.stdout.write(had ? `Removing login credentials for ${server}\n` : `Not logged in to ${server}\n`);
    return 0;
  },
});
