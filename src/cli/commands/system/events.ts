import type { EventMessage } from '../../../api/types.js';
import { defineCommand } from '../../command.js';
import { parseFilterFlags } from '../../filters.js';
import { renderFormat } from '../../format/render.js';

/** RFC 3339 with nanoseconds, as Go prints event times. */
function eventTime(e: EventMessage): string {
  // timeNano exceeds 2^53: only milliseconds survive JSON.parse, so print those exactly.
  const ms = Math.round(e.timeNano / 1e6);
  const nanos = String((ms % 1000) * 1e6).padStart(9, '0');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${nanos}Z`);
}

/** docker/cli's printOutput: `TIME TYPE ACTION ID (k=v, …)`, attributes sorted. */
export function formatEvent(e: EventMessage): string {
  const attrs = Object.entries(e.Actor.Attributes ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  return `${eventTime(e)} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length > 0 ? ` (${attrs.join(', ')})` : ''}\n`;
}

export const eventsCommand = defineCommand({
  path: ['events'],
  aliases: [['system', 'events']],
  usage: '[OPTIONS]',
  description: 'Get real time events from the server',
  maxArgs: 0,
  flags: [
    { name: 'filter', short: 'f', type: 'stringArray', description: 'Filter output based on conditions provided', valueName: 'filter' },
    { name: 'format', type: 'string', description: 'Format output using a custom template', valueName: 'string' },
    { name: 'since', type: 'string', description: 'Show all events created since timestamp', valueName: 'string' },
    { name: 'until', type: 'string', description: 'Stream events until this timestamp', valueName: 'string' },
  ],
  async run(ctx, v) {
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    try {
      await ctx.client().events(
        { since: v.since || undefined, until: v.until || undefined, filters: parseFilterFlags(v.filter), signal: abort.signal },
        (e) => ctx.io.stdout.write(v.format ? renderFormat({ format: v.format, items: [e] }) : formatEvent(e)),
      );
    } finally {
      process.off('SIGINT', stop);
    }
    return 0;
  },
});
