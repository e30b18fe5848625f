import { StdcopyDecoder, StdStream } from '../../../api/stdcopy.js';
import { containerInspect, containerLogs } from '../../../client/containers.js';
import { defineCommand } from '../../command.js';
import { parseDuration } from '../../flags/index.js';

const pad9 = (n: number | bigint): string => String(n).padStart(9, '0');

/**
 * docker's timetypes.GetTimestamp: a Go duration ("42m") counts back from now; an RFC 3339 time
 * or date becomes Unix seconds; anything else (already Unix seconds) goes as is.
 */
export function getTimestamp(value: string, now: Date): string {
  if (value === '') return '';
  let ns: number | undefined;
  try {
    ns = parseDuration(value);
  } catch {
    ns = undefined; // not a duration: try the time formats
  }
  if (ns !== undefined) {
    const t = BigInt(now.getTime()) * 1_000_000n - BigInt(ns);
    return `${t / 1_000_000_000n}.${pad9(t % 1_000_000_000n)}`;
  }
  if (!value.includes('-')) return value;
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?)(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  if (!m) throw new Error(`parsing time "${value}": cannot parse as RFC 3339`);
  const time = m[2] === undefined ? '00:00:00' : m[2].length === 5 ? `${m[2]}:00` : m[2];
  const ms = Date.parse(`${m[1]}T${time}${m[4] ?? 'Z'}`);
  if (Number.isNaN(ms)) throw new Error(`parsing time "${value}": invalid time`);
  const frac = (m[3] ?? '.').slice(1).padEnd(9, '0');
  return `${Math.floor(ms / 1000)}.${frac}`;
}

export const logsCommand = defineCommand({
  path: ['container', 'logs'],
  aliases: [['logs']],
  usage: '[OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'details', type: 'bool', description: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    { name: 'since', type: 'string', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)', valueName: 'string' },
    { name: 'tail', short: 'n', type: 'string', default: 'all', description: 'Number of lines to show from the end of the logs', valueName: 'string' },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
    { name: 'until', type: 'string', description: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)', valueName: 'string' },
  ] as const,
  async run(ctx, v, args) {
    const client = ctx.client();
    const c = await containerInspect(client, args[0]!);
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    try {
      const body = await containerLogs(client, c.Id, {
        follow: v.follow,
        timestamps: v.timestamps,
        tail: v.tail,
        since: getTimestamp(v.since, ctx.now()),
        until: getTimestamp(v.until, ctx.now()),
        details: v.details,
        signal: abort.signal,
      });
      const decoder = c.Config.Tty ? undefined : new StdcopyDecoder();
      try {
        for await (const chunk of body) {
          if (!decoder) {
            ctx.io.stdout.write(chunk as Buffer);
            continue;
          }
          for (const f of decoder.push(chunk as Buffer)) {
            (f.stream === StdStream.Stdout ? ctx.io.stdout : ctx.io.stderr).write(f.payload);
          }
        }
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    } finally {
      process.off('SIGINT', stop);
    }
    return 0;
  },
});
