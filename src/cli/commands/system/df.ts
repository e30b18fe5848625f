import { defineCommand } from '../../command.js';
import { printFormatted } from '../../render.js';
import { humanSize } from '../../format/units.js';
import type { Volume } from '../../../api/volumes.js';

const DEFAULT_FORMAT = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

function reclaimable(total: number, reclaim: number): string {
  if (total <= 0) return humanSize(reclaim);
  return `${humanSize(reclaim)} (${Math.floor((reclaim * 100) / total)}%)`;
}

/** docker/cli's diskUsageVolumesContext: sizes of volumes no container uses are reclaimable. */
function volumesRow(vols: readonly Volume[]): Record<string, string> {
  let size = 0;
  let reclaim = 0;
  for (const v of vols) {
    const s = v.UsageData?.Size ?? -1;
    if (s === -1) continue;
    size += s;
    if ((v.UsageData?.RefCount ?? 0) === 0) reclaim += s;
  }
  const active = vols.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length;
  return { Type: 'Local Volumes', TotalCount: String(vols.length), Active: String(active), Size: humanSize(size), Reclaimable: reclaimable(size, reclaim) };
}

export const systemDf = defineCommand({
  path: ['system', 'df'],
  usage: '[OPTIONS]',
  description: 'Show docker disk usage',
  maxArgs: 0,
  flags: [
    { name: 'format', type: 'string', description: 'Format output using a custom template', valueName: 'string' },
    { name: 'verbose', short: 'v', type: 'bool', description: 'Show detailed information on space usage' },
  ],
  async run(ctx, v) {
    const df = await ctx.client().systemDf();
    const images = df.Images ?? [];
    const activeImages = images.filter((i) => i.Containers > 0);
    const used = activeImages.reduce((s, i) => s + i.Size - Math.max(0, i.SharedSize), 0);
    const rows = [
      {
        Type: 'Images',
        TotalCount: String(images.length),
        Active: String(activeImages.length),
        Size: humanSize(df.LayersSize),
        Reclaimable: reclaimable(df.LayersSize, df.LayersSize - used),
      },
      { Type: 'Containers', TotalCount: String(df.Containers?.length ?? 0), Active: '0', Size: '0B', Reclaimable: '0B' },
      volumesRow(df.Volumes ?? []),
      { Type: 'Build Cache', TotalCount: String(df.BuildCache?.length ?? 0), Active: '0', Size: '0B', Reclaimable: '0B' },
    ];
    printFormatted(ctx, { format: v.format || DEFAULT_FORMAT, items: rows, headers: HEADERS });
    return 0;
  },
});
