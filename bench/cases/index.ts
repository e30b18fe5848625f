import type { Benchmark } from '../types.js';
import { cliVersion, cliVersionEstibaCli } from './cli-version.js';
import { images500 } from './images-500.js';
import { load200mb } from './load-200mb.js';
import { save200mb } from './save-200mb.js';
import { runParallel, runRm, runRmCrun } from './run-rm.js';
import { logs200mb, logs200mbLines, psA200, rss50, stdout200mb, stdout200mbLines, stdout200mbLinesNoLog, stdout200mbShortLines, logs200mbShortLines } from './containers.js';
import { networks20, publishedPort, runRmBridge } from './networks.js';
import { buildCached, buildCachedBuildkit, buildCold, buildColdBuildkit, buildOneChanged, buildOneChangedBuildkit } from './build.js';
import { registryPull200mb, registryPush200mb } from './registry-200mb.js';

/** Every benchmark, in the order a default run takes them. */
export const BENCHMARKS: readonly Benchmark[] = [
  cliVersion, cliVersionEstibaCli, images500, load200mb, save200mb, runRm, runRmCrun, runParallel, psA200,
  stdout200mb, logs200mb, stdout200mbLines, stdout200mbLinesNoLog, logs200mbLines, stdout200mbShortLines, logs200mbShortLines, rss50(), runRmBridge, publishedPort, networks20,
  buildCold, buildCached, buildOneChanged, buildColdBuildkit, buildCachedBuildkit, buildOneChangedBuildkit,
  registryPull200mb, registryPush200mb,
];
