/** estiba: the CLI. Everything it does goes through the Engine API (src/client). */
import { main } from '../cli/main.js';
import { ESTIBA_VERSION, GIT_COMMIT } from './version.js';

// A closed pipe (`estiba images | head -1`) ends the program quietly, as docker does.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main({
  argv: process.argv.slice(2),
  env: process.env,
  io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  info: { version: ESTIBA_VERSION, gitCommit: GIT_COMMIT },
}).then(
  (code) => {
    // Exit once output is flushed: a session's leftovers (a paused stdin, an aborted wait) must
    // not keep the CLI alive after the command is done, as docker's CLI exits too.
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
