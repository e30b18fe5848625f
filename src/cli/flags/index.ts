/**
 * pflag-compatible command-line flags for the docker-compatible CLI: definitions typed by
 * name, parsing with docker's syntax and error texts, and docker-style "Options:" help.
 */

export { parseFlags } from './parse.js';
export { customFlag } from './types.js';
export { flagUsages, usage } from './usage.js';
export type { UsageOptions } from './usage.js';
export { formatDuration, parseDuration } from './duration.js';
export { readCSV, writeCSV } from './values.js';
export type {
  BoolFlag,
  CustomFlag,
  DurationFlag,
  FlagDef,
  FlagValue,
  FlagValues,
  FloatFlag,
  IntFlag,
  ParseOptions,
  ParseResult,
  StringArrayFlag,
  StringFlag,
  StringSliceFlag,
  UintFlag,
} from './types.js';
