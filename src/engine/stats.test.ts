import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetDev } from './stats.js';

test('parseNetDev reads /proc/<pid>/net/dev without lo', () => {
  const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0:    1936      22    1    2    0     0          0         0      866      11    3    4    0     0       0          0
`;
  assert.deepEqual(parseNetDev(text), {
    eth0: { rx_bytes: 1936, rx_packets: 22, rx_errors: 1, rx_dropped: 2, tx_bytes: 866, tx_packets: 11, tx_errors: 3, tx_dropped: 4 },
  });
});
