import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRfc3339Nano, rfc3339Nano } from './time.js';

test('timestamps render as Go RFC3339Nano does', () => {
  const cases: [string, string][] = [
    ['2026-11-22T16:51:04.040Z', '2026-11-22T16:51:04.04Z'],
    ['2026-11-22T16:51:04.000Z', '2026-11-22T16:51:04Z'],
    ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'],
    ['2026-11-22T16:35:43.968148705Z', '2026-11-22T16:35:43.968148705Z'],
    ['2026-11-22T16:35:43.9681487051Z', '2026-11-22T16:35:43.968148705Z'],
    ['2026-11-22T16:35:43.500+02:00', '2026-11-22T16:35:43.5+02:00'],
    ['2026-11-22T16:35:43+00:00', '2026-11-22T16:35:43Z'],
    ['not a time', 'not a time'],
  ];
  for (const [input, want] of cases) assert.equal(rfc3339Nano(input), want, input);
  assert.equal(formatRfc3339Nano(new Date(Date.UTC(2026, 10, 22, 16, 51, 4, 40))), '2026-11-22T16:51:04.04Z');
});
