import { renderFormat } from '../../format/render.js';
import { defineCommand } from '../../command.js';
import { CLIENT_MAX_API_VERSION } from '../../../client/client.js';
import type { SystemVersion } from '../../../api/types.js';
import { daemonError } from '../../errors.js';
import { messageOf } from '../../../errdefs/index.js';

export interface VersionInfo {
  version: string;
  gitCommit: string;
}

function pad(label: string, width: number): string {
  return `${label}:`.padEnd(width);
}

function clientSection(c: Record<string, string>): string {
  return [
    'Client:',
    ` ${pad('Version', 19)}${c.Version}`,
    ` ${pad('API version', 19)}${c.ApiVersion}`,
    ` ${pad('Go version', 19)}${c.GoVersion}`,
    ` ${pad('Git commit', 19)}${c.GitCommit}`,
    ` ${pad('Built', 19)}${c.BuildTime}`,
    ` ${pad('OS/Arch', 19)}${c.Os}/${c.Arch}`,
    ` ${pad('Context', 19)}default`,
  ].join('\n');
}

function serverSection(s: SystemVersion): string {
  const lines = [`Server: ${s.Platform?.Name ?? ''}`.trimEnd()];
  for (const comp of s.Components ?? []) {
    lines.push(` ${comp.Name}:`);
    const d = comp.Details ?? {};
    if (comp.Name === 'Engine') {
      lines.push(`  ${pad('Version', 18)}${comp.Version}`);
      lines.push(`  ${pad('API version', 18)}${d.ApiVersion ?? s.ApiVersion} (minimum version ${d.MinAPIVersion ?? s.MinAPIVersion})`);
      lines.push(`  ${pad('Go version', 18)}${d.GoVersion ?? s.GoVersion}`);
      lines.push(`  ${pad('Git commit', 18)}${d.GitCommit ?? s.GitCommit}`);
      lines.push(`  ${pad('Built', 18)}${d.BuildTime ?? s.BuildTime}`);
      lines.push(`  ${pad('OS/Arch', 18)}${d.Os ?? s.Os}/${d.Arch ?? s.Arch}`);
      lines.push(`  ${pad('Experimental', 18)}${d.Experimental ?? 'false'}`);
    } else {
      lines.push(`  ${pad('Version', 18)}${comp.Version}`);
      for (const [k, v] of Object.entries(d)) lines.push(`  ${pad(k, 18)}${v}`);
    }
  }
  return lines.join('\n');
}

export function versionCommand(info: VersionInfo) {
  return defineCommand({
    path: ['version'],
    usage: '[OPTIONS]',
    description: 'Show the estiba version information',
    maxArgs: 0,
    flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template', valueName: 'string' }],
    async run(ctx, v) {
      const client: Record<string, string> = {
        Platform: 'estiba',
        Version: info.version,
        ApiVersion: CLIENT_MAX_API_VERSION,
        DefaultAPIVersion: CLIENT_MAX_API_VERSION,
        GitCommit: info.gitCommit,
        GoVersion: `node${process.versions.node}`,
        Os: 'linux',
        Arch: process.arch === 'x64' ? 'amd64' : process.arch,
        BuildTime: '',
        Context: 'default',
      };
      let server: SystemVersion | undefined;
      let serverErr: unknown;
      try {
        server = await ctx.client().version();
        client.ApiVersion = await ctx.client().apiVersion();
      } catch (err) {
        serverErr = err;
      }
      if (v.format !== '') {
        ctx.io.stdout.write(renderFormat({ format: v.format, items: [{ Client: client, Server: server ?? null }] }));
      } else {
        ctx.io.stdout.write(clientSection(client) + '\n');
        if (server) ctx.io.stdout.write('\n' + serverSection(server) + '\n');
      }
      if (serverErr) {
        ctx.io.stderr.write(`${daemonError(serverErr) ?? messageOf(serverErr)}\n`);
        return 1;
      }
      return 0;
    },
  });
}
