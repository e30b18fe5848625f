import type { EventMessage, Filters } from '../api/types.js';
import { InvalidParameter, Unavailable } from '../errdefs/index.js';

export type EventListener = (e: EventMessage) => void;

/**
 * The daemon's event log: a bounded ring of recent events (for `since`) and live
 * subscribers. Publishing never blocks; a slow subscriber is the server's problem.
 */
export class EventBus {
  readonly #ring: EventMessage[] = [];
  readonly #capacity: number;
  readonly #listeners = new Set<EventListener>();
  readonly #now: () => Date;

  constructor(opts: { capacity?: number; now?: () => Date } = {}) {
    this.#capacity = opts.capacity ?? 1024;
    this.#now = opts.now ?? (() => new Date());
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  publish(type: EventMessage['Type'], action: string, id: string, attributes: Record<string, string> = {}): EventMessage {
    const t = this.#now().getTime();
    const timeNano = t * 1_000_000;
    const e: EventMessage = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Math.floor(t / 1000),
      timeNano,
    };
    if (type === 'container' || type === 'image') {
      e.status = action;
      e.id = id;
      if (attributes.image !== undefined) e.from = attributes.image;
    }
    this.#ring.push(e);
    if (this.#ring.length > this.#capacity) this.#ring.shift();
    for (const l of this.#listeners) l(e);
    return e;
  }

  /** Events already recorded with timeNano in [sinceNano, untilNano]. */
  history(sinceNano: number, untilNano: number): EventMessage[] {
    return this.#ring.filter((e) => e.timeNano >= sinceNano && e.timeNano <= untilNano);
  }

  subscribe(l: EventListener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
}

/** Live events one subscriber may have waiting; one more and its stream ends (Unavailable). */
export const MAX_SUBSCRIBER_QUEUE = 1000;

export interface StreamEventsOptions {
  /** Query values, parsed with parseEventTime. */
  since?: string;
  until?: string;
  filters: Filters;
  signal: AbortSignal;
  /** Called once the arguments are valid, before waiting for anything. */
  onStart: () => void;
  /** Delivers one event; the next is not delivered until it resolves. */
  onEvent: (e: EventMessage) => Promise<void>;
  maxQueue?: number;
}

/**
 * One /events subscription: validates the arguments (InvalidParameter), replays the buffered
 * events when `since` or `until` is given (moby: `since` then defaults to the beginning), then
 * delivers live events until `until` passes or `signal` aborts. A subscriber that falls more than
 * `maxQueue` live events behind is dropped: the call rejects with Unavailable at once, even while
 * `onEvent` is still waiting, so a stuck client holds neither the queue nor the request.
 */
export async function streamEvents(bus: EventBus, q: StreamEventsOptions): Promise<void> {
  // Unknown filter keys match everything: dockerd does not validate them either.
  const now = new Date();
  const sinceNano = q.since ? parseEventTime(q.since, now) : undefined;
  const untilNano = q.until ? parseEventTime(q.until, now) : undefined;
  if (untilNano !== undefined && untilNano < (sinceNano ?? 0)) {
    throw new InvalidParameter(`\`since\` time (${q.since ?? ''}) cannot be after \`until\` time (${q.until ?? ''})`);
  }
  const maxQueue = q.maxQueue ?? MAX_SUBSCRIBER_QUEUE;
  const nowNano = now.getTime() * 1e6;
  // Subscribe before replaying so nothing published in between is lost.
  const queue: EventMessage[] = [];
  let wake: (() => void) | undefined;
  let dropped: (() => void) | undefined;
  const overflow = new Promise<'overflow'>((resolve) => (dropped = () => resolve('overflow')));
  const unsubscribe = bus.subscribe((e) => {
    if (!matchEvent(e, q.filters)) return;
    if (queue.length >= maxQueue) {
      unsubscribe();
      queue.length = 0;
      dropped?.();
      return;
    }
    queue.push(e);
    wake?.();
  });
  const tooSlow = (): Error => new Unavailable(`events subscriber fell more than ${maxQueue} events behind: its stream is ended`);
  const deliver = async (e: EventMessage): Promise<void> => {
    if ((await Promise.race([q.onEvent(e), overflow])) === 'overflow') throw tooSlow();
  };
  try {
    q.onStart();
    if (sinceNano !== undefined || untilNano !== undefined) {
      for (const e of bus.history(sinceNano ?? 0, Math.min(untilNano ?? nowNano, nowNano))) {
        if (matchEvent(e, q.filters)) await deliver(e);
      }
    }
    if (untilNano !== undefined && untilNano <= nowNano) return;
    const stop = new Promise<void>((resolve) => q.signal.addEventListener('abort', () => resolve(), { once: true }));
    for (;;) {
      while (queue.length > 0) {
        const e = queue.shift()!;
        if (untilNano !== undefined && e.timeNano > untilNano) return;
        await deliver(e);
      }
      if (q.signal.aborted) return;
      // The deadline is armed afresh for every wait: a timer set once could fire while an event
      // was being written (nobody waiting) or a little before the clock reached `until`, and
      // the stream would then wait forever.
      const left = untilNano === undefined ? undefined : untilNano / 1e6 - Date.now();
      if (left !== undefined && left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      const woken = await Promise.race([
        new Promise<void>((resolve) => {
          wake = resolve;
          if (left !== undefined) timer = setTimeout(resolve, Math.ceil(left) + 1);
        }),
        stop,
        overflow,
      ]);
      clearTimeout(timer);
      wake = undefined;
      if (woken === 'overflow') throw tooSlow();
    }
  } finally {
    unsubscribe();
  }
}

/** Docker's events filter semantics: OR within a key, AND across keys. */
export function matchEvent(e: EventMessage, f: Filters): boolean {
  const any = (key: string, pred: (v: string) => boolean): boolean => {
    const vs = f.get(key);
    return !vs || vs.length === 0 || vs.some(pred);
  };
  const attrs = e.Actor.Attributes;
  const idOrName = (v: string): boolean => e.Actor.ID === v || e.Actor.ID.startsWith(v) || e.Actor.ID.startsWith(`sha256:${v}`) || attrs.name === v;
  return (
    any('type', (v) => v === e.Type) &&
    any('event', (v) => v === e.Action || e.Action.startsWith(`${v}:`)) &&
    any('scope', (v) => v === e.scope) &&
    any('image', (v) => (e.Type === 'image' && idOrName(v)) || attrs.image === v || attrs.name === v || attrs.name?.split(':')[0] === v) &&
    any('container', (v) => e.Type === 'container' && idOrName(v)) &&
    any('volume', (v) => e.Type === 'volume' && idOrName(v)) &&
    any('network', (v) => e.Type === 'network' && idOrName(v)) &&
    any('daemon', (v) => e.Type === 'daemon' && idOrName(v)) &&
    any('label', (v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in attrs : attrs[v.slice(0, eq)] === v.slice(eq + 1);
    })
  );
}

/** `since`/`until` query values: Unix seconds with optional fraction ("1700000000.123456789"), RFC 3339, or a Go duration ago. */
export function parseEventTime(raw: string, now: Date): number {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(raw);
  if (m) return Number(m[1]) * 1e9 + Number((m[2] ?? '').padEnd(9, '0'));
  const dur = /^(-?\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(raw);
  if (dur) {
    const ms: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    return (now.getTime() - Number(dur[1]) * ms[dur[2]!]!) * 1e6;
  }
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new InvalidParameter(`invalid timestamp: ${JSON.stringify(raw)}`);
  return t * 1e6;
}
