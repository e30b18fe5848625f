import type { Benchmark } from '../types.js';
import { cliVersion, cliVersionEstibaCli } from './cli-version.js';
import { images500 } from './images-500.js';
import { load200mb } from './load-200mb.js';
import { save200mb } from './save-200mb.js';
import { runParallel, runRm } from './run-rm.js';
import { logs200mb, psA200, rss50, stdout200mb } from './containers.js';
import { registryPull200mb, registryPush200mb } from './registry-200mb.js';

/** Every benchmark, in the order a default run takes them. */
export const BENCHMARKS: readonly Benchmark[] = [cliVersion, cliVersionEstibaCli, images500, load200mb, save200mb, runRm, runParallel, psA200, stdout200mb, logs200mb, rss50(), registryPull200mb, registryPush200mb];
