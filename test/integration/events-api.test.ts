import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EngineClient } from '../../src/client/client.js';
import type { EventMessage } from '../../src/api/types.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';

let d: EstibadProcess;
let client: EngineClient;

before(async () => {
  d = await startEstibad();
  client = new EngineClient({ host: d.host });
});

after(async () => {
  await d.stop();
  await d.cleanup();
});

test('events with until and no since replay the buffered events up to until (moby: since defaults to 0)', async () => {
  const until = (Date.now() / 1000).toFixed(3);
  const seen: EventMessage[] = [];
  await client.events({ until, signal: AbortSignal.timeout(5_000) }, (e) => seen.push(e));
  assert.ok(
    seen.some((e) => e.Type === 'daemon' && e.Action === 'start'),
    `the daemon's start event is replayed: ${JSON.stringify(seen)}`,
  );
  assert.ok(seen.every((e) => e.timeNano <= Number(until) * 1e9 + 1e6));
});
