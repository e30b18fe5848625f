import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, matchEvent, parseEventTime } from './events.js';

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
