import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, MAX_SUBSCRIBER_QUEUE, matchEvent, parseEventTime, streamEvents } from './events.js';
import { isUnavailable, messageOf } from '../errdefs/index.js';

test('events filter by type, action and image name', () => {
  const bus = new EventBus({ now: () => new Date(1_700_000_000_000) });
  const e = bus.publish('image', 'tag', 'sha256:abc', { name: 'busybox:latest' });
  assert.equal(matchEvent(e, new Map([['type', ['image']]])), true);
  assert.equal(matchEvent(e, new Map([['type', ['container']]])), false);
  assert.equal(matchEvent(e, new Map([['event', ['tag', 'untag']]])), true);
  assert.equal(matchEvent(e, new Map([['image', ['busybox']]])), true);
  assert.equal(matchEvent(e, new Map([['image', ['alpine']]])), false);
  assert.deepEqual(bus.history(0, Number.MAX_SAFE_INTEGER * 1000), [e]);
});

test('since/until accept Unix seconds with fractions, RFC 3339 and durations ago', () => {
  const now = new Date(1_700_000_000_000);
  assert.equal(parseEventTime('1700000000', now), 1_700_000_000 * 1e9);
  assert.equal(parseEventTime('1700000000.5', now), 1_700_000_000 * 1e9 + 5e8);
  assert.equal(parseEventTime('2023-11-14T22:13:20Z', now), 1_700_000_000_000 * 1e6);
  assert.equal(parseEventTime('10m', now), (1_700_000_000_000 - 600_000) * 1e6);
});

test('streamEvents: until without since replays the buffer; onStart comes before any wait', async () => {
  const bus = new EventBus();
  const old = bus.publish('image', 'tag', 'sha256:old', { name: 'old:1' });
  const calls: string[] = [];
  await streamEvents(bus, {
    until: String(Date.now() / 1000 + 0.05),
    filters: new Map(),
    signal: new AbortController().signal,
    onStart: () => calls.push('start'),
    onEvent: async (e) => void calls.push(e.Actor.ID),
  });
  assert.deepEqual(calls, ['start', old.Actor.ID]);
  assert.equal(bus.listenerCount, 0);
});

test('streamEvents: invalid arguments are refused before onStart', async () => {
  const bus = new EventBus();
  let started = false;
  await assert.rejects(
    streamEvents(bus, { since: 'soon', filters: new Map(), signal: new AbortController().signal, onStart: () => (started = true), onEvent: async () => {} }),
    /invalid timestamp: "soon"/,
  );
  assert.equal(started, false);
  assert.equal(bus.listenerCount, 0);
});

test('streamEvents: a subscriber stuck in onEvent is dropped once its queue overflows', async () => {
  const bus = new EventBus();
  let delivered = 0;
  const stuck = new Promise<void>(() => undefined);
  const done = streamEvents(bus, {
    filters: new Map(),
    signal: new AbortController().signal,
    maxQueue: 5,
    onStart: () => undefined,
    onEvent: () => {
      delivered++;
      return stuck;
    },
  });
  const outcome = done.then(
    () => 'ended',
    (err: unknown) => err,
  );
  await new Promise((r) => setImmediate(r));
  // The first is being delivered (forever), five wait; the queue holds no more.
  bus.publish('image', 'tag', 'sha256:first');
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 5; i++) bus.publish('image', 'tag', `sha256:${i}`);
  await new Promise((r) => setImmediate(r));
  assert.equal(bus.listenerCount, 1, 'still subscribed at the limit');
  bus.publish('image', 'tag', 'sha256:overflow');
  const err = await Promise.race([outcome, new Promise((r) => setTimeout(() => r('still running'), 1_000))]);
  assert.ok(isUnavailable(err), `rejects with Unavailable, got ${String(err)}`);
  assert.equal(messageOf(err), 'events subscriber fell more than 5 events behind: its stream is ended');
  assert.equal(delivered, 1);
  assert.equal(bus.listenerCount, 0);
});

test('streamEvents: a burst larger than the queue while idle ends the stream too', async () => {
  const bus = new EventBus();
  const done = streamEvents(bus, { filters: new Map(), signal: new AbortController().signal, maxQueue: 3, onStart: () => undefined, onEvent: async () => undefined });
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 4; i++) bus.publish('image', 'tag', `sha256:${i}`);
  await assert.rejects(done, (err) => isUnavailable(err));
  assert.equal(bus.listenerCount, 0);
});

test('streamEvents: the default queue limit is 1000', () => {
  assert.equal(MAX_SUBSCRIBER_QUEUE, 1000);
});
