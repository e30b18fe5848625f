/**
 * Run as a child process by conmon.test.ts: launches one container under conmon and exits, to
 * show that the container outlives the process that started it.
 * argv: runtimeName execRoot id bundle exitDir logPath
 */
import { Conmon } from './conmon.js';
import { CliRuntime } from './oci-runtime.js';

const [name, execRoot, id, bundle, exitDir, logPath] = process.argv.slice(2);
if (name === undefined || execRoot === undefined || id === undefined || bundle === undefined || exitDir === undefined || logPath === undefined) {
  process.stderr.write('usage: launch-fixture runtime execRoot id bundle exitDir logPath\n');
  process.exit(2);
}
const conmon = new Conmon({ runtime: new CliRuntime(name, { execRoot }) });
const c = await conmon.run({ id, bundle, exitDir, log: { driver: 'k8s-file', path: logPath } });
process.stdout.write(JSON.stringify({ pid: c.pid, conmonPid: c.conmonPid }) + '\n');
