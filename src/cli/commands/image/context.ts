import type { HistoryResponseItem, ImageSummary } from '../../../api/types.js';
import { RawJson, escapeHtmlJson } from '../../../template/json.js';
import { ellipsis, humanSize, humanSizeWithPrecision, since, truncateId } from '../../format/units.js';

/** Go's time.Time.String() for a Unix time, in UTC: "2024-01-01 00:00:00 +0000 UTC". */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'VIRTUAL SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** One row of `docker images`, fields named as docker/cli's imageContext (keys sorted, as its JSON is). */
export interface ImageRow {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

const NA = 'N/A';

/**
 * docker/cli's contexts marshal themselves with json.Marshal (sorted keys, HTML escaped):
 * `{{json .}}` on a row prints that, not the template's own (unescaped) encoding.
 */
function withContextJson<T extends object>(row: T): T {
  Object.defineProperty(row, 'toJSON', {
    enumerable: false,
    value: () => new RawJson(escapeHtmlJson(JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1)))))),
  });
  return row;
}

function splitRepoTag(repoTag: string): [string, string] {
  const at = repoTag.lastIndexOf('@');
  if (at >= 0) return [repoTag.slice(0, at), repoTag.slice(at + 1)];
  const colon = repoTag.lastIndexOf(':');
  if (colon > repoTag.lastIndexOf('/')) return [repoTag.slice(0, colon), repoTag.slice(colon + 1)];
  return [repoTag, ''];
}

/** docker/cli's imageFormat: one row per tag; digest-only and untagged images get `<none>`. */
export function imageRows(images: readonly ImageSummary[], o: { noTrunc: boolean; digests: boolean; now: Date }): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    // Keys in sorted order: `{{json .}}` prints them as docker does (Go marshals a sorted map).
    const row = (Digest: string, Repository: string, Tag: string): ImageRow => withContextJson({
      Containers: img.Containers < 0 ? NA : String(img.Containers),
      CreatedAt: goTimeString(img.Created),
      CreatedSince: since(img.Created, o.now),
      Digest,
      ID: o.noTrunc ? img.Id : truncateId(img.Id),
      Repository,
      SharedSize: img.SharedSize < 0 ? NA : humanSizeWithPrecision(img.SharedSize, 3),
      Size: humanSizeWithPrecision(img.Size, 3),
      Tag,
      UniqueSize: img.SharedSize < 0 ? NA : humanSizeWithPrecision(img.Size - img.SharedSize, 3),
      VirtualSize: humanSize(img.VirtualSize ?? img.Size),
    });
    const digestsByRepo = new Map<string, string[]>();
    for (const rd of img.RepoDigests ?? []) {
      const [repo, dg] = splitRepoTag(rd);
      if (repo === '<none>') continue;
      digestsByRepo.set(repo, [...(digestsByRepo.get(repo) ?? []), dg]);
    }
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    if (tags.length === 0 && digestsByRepo.size === 0) {
      rows.push(row('<none>', '<none>', '<none>'));
      continue;
    }
    const repoHasTag = new Set<string>();
    for (const t of tags) {
      const [repo, tag] = splitRepoTag(t);
      repoHasTag.add(repo);
      const ds = digestsByRepo.get(repo) ?? [];
      if (o.digests && ds.length > 0) for (const dg of ds) rows.push(row(dg, repo, tag));
      else rows.push(row(ds[0] ?? '<none>', repo, tag));
    }
    for (const [repo, ds] of digestsByRepo) {
      if (repoHasTag.has(repo)) continue;
      rows.push(row(ds[0] ?? '<none>', repo, '<none>'));
    }
  }
  return rows;
}

export const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

export interface HistoryRow {
  Comment: string;
  CreatedAt: string;
  CreatedBy: string;
  CreatedSince: string;
  ID: string;
  Size: string;
}

export function historyRows(items: readonly HistoryResponseItem[], o: { noTrunc: boolean; human: boolean; now: Date }): HistoryRow[] {
  return items.map((h) => {
    let createdBy = h.CreatedBy.replace(/\t/g, ' ');
    if (!o.noTrunc) createdBy = ellipsis(createdBy, 45);
    return {
      Comment: h.Comment,
      CreatedAt: o.human ? goTimeString(h.Created) : new Date(h.Created * 1000).toISOString().replace('.000Z', 'Z'),
      CreatedBy: createdBy,
      CreatedSince: o.human ? since(h.Created, o.now) : new Date(h.Created * 1000).toISOString().replace('.000Z', 'Z'),
      ID: h.Id.startsWith('sha256:') && !o.noTrunc ? truncateId(h.Id) : h.Id,
      Size: o.human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
    };
  });
}
