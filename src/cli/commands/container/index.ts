/** The container commands, in the order the registry lists them. */
import type { Command } from '../../command.js';
import { attachCommand, execCommand, startCommand } from './attach.js';
import { cpCommand } from './cp.js';
import { containerInspectCommand, inspectCommand } from './inspect.js';
import {
  killCommand, pauseCommand, renameCommand, restartCommand, rmCommand, stopCommand, unpauseCommand, waitCommand,
} from './lifecycle.js';
import { logsCommand } from './logs.js';
import { commitCommand, containerPruneCommand, diffCommand, exportCommand, portCommand, topCommand, updateCommand } from './misc.js';
import { psCommand } from './ps.js';
import { createCommand, runCommand } from './run.js';
import { statsCommand } from './stats.js';

export { inspectCommand };

export const containerCommands: Command[] = [
  attachCommand, commitCommand, cpCommand, createCommand, diffCommand, execCommand, exportCommand, containerInspectCommand,
  killCommand, logsCommand, psCommand, pauseCommand, portCommand, containerPruneCommand, renameCommand, restartCommand, rmCommand,
  runCommand, startCommand, statsCommand, stopCommand, topCommand, unpauseCommand, updateCommand, waitCommand,
];
