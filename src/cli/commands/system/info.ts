import { defineCommand } from '../../command.js';
import { renderFormat } from '../../format/render.js';
import { bytesSize } from '../../format/units.js';

type Info = Record<string, unknown>;

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

function serverLines(i: Info): string[] {
  const lines = [
    ` Containers: ${str(i.Containers)}`,
    `  Running: ${str(i.ContainersRunning)}`,
    `  Paused: ${str(i.ContainersPaused)}`,
    `  Stopped: ${str(i.ContainersStopped)}`,
    ` Images: ${str(i.Images)}`,
    ` Server Version: ${str(i.ServerVersion)}`,
    ` Storage Driver: ${str(i.Driver)}`,
  ];
  for (const pair of (i.DriverStatus as [string, string][] | null) ?? []) lines.push(`  ${pair[0]}: ${pair[1]}`);
  const plugins = (i.Plugins ?? {}) as Record<string, string[] | null>;
  lines.push(
    ` Logging Driver: ${str(i.LoggingDriver)}`,
    ` Cgroup Driver: ${str(i.CgroupDriver)}`,
    ` Cgroup Version: ${str(i.CgroupVersion)}`,
    ' Plugins:',
    `  Volume: ${(plugins.Volume ?? []).join(' ')}`,
    `  Network: ${(plugins.Network ?? []).join(' ')}`,
    `  Log: ${(plugins.Log ?? []).join(' ')}`,
    ` Runtimes: ${Object.keys((i.Runtimes ?? {}) as object).join(' ')}`,
    ` Default Runtime: ${str(i.DefaultRuntime)}`,
    ` Security Options:`,
    ...((i.SecurityOptions as string[] | null) ?? []).map((s) => `  ${s.replace(/^name=/, '').split(',')[0]}`),
    ` Kernel Version: ${str(i.KernelVersion)}`,
    ` Operating System: ${str(i.OperatingSystem)}`,
    ` OSType: ${str(i.OSType)}`,
    ` Architecture: ${str(i.Architecture)}`,
    ` CPUs: ${str(i.NCPU)}`,
    ` Total Memory: ${bytesSize(Number(i.MemTotal ?? 0))}`,
    ` Name: ${str(i.Name)}`,
    ` ID: ${str(i.ID)}`,
    ` Docker Root Dir: ${str(i.DockerRootDir)}`,
    ` Debug Mode: ${str(i.Debug)}`,
    ` Experimental: ${str(i.ExperimentalBuild)}`,
    ` Live Restore Enabled: ${str(i.LiveRestoreEnabled)}`,
  );
  return lines;
}

export const infoCommand = defineCommand({
  path: ['info'],
  aliases: [['system', 'info']],
  usage: '[OPTIONS]',
  description: 'Display system-wide information',
  maxArgs: 0,
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template', valueName: 'string' }],
  async run(ctx, v) {
    const info = await ctx.client().info();
    if (v.format !== '') {
      ctx.io.stdout.write(renderFormat({ format: v.format, items: [info] }));
      return 0;
    }
    ctx.io.stdout.write(['Client:', ' Context:    default', ' Debug Mode: false', '', 'Server:', ...serverLines(info), ''].join('\n') + '\n');
    return 0;
  },
});
