import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeMessage } from '../runtime/conmon.js';
import { execStartExitCode } from './exec.js';

test("runtimeMessage takes runc's logrus msg (Go-quoted) and crun's plain last line", () => {
  const runc = 'time="2026-11-22T17:33:14Z" level=error msg="exec failed: unable to start container process: exec: \\"nonexistent\\": executable file not found in $PATH"\n';
  assert.equal(runtimeMessage(runc), 'exec failed: unable to start container process: exec: "nonexistent": executable file not found in $PATH');
  assert.equal(runtimeMessage('some noise\nexecutable file `x` not found in $PATH: No such file or directory\n'), 'executable file `x` not found in $PATH: No such file or directory');
});

test('execStartExitCode: 127 for a missing command, 126 for one that cannot run', () => {
  assert.equal(execStartExitCode('exec failed: unable to start container process: exec: "x": executable file not found in $PATH'), 127);
  assert.equal(execStartExitCode('exec: "/nope/x": stat /nope/x: no such file or directory'), 127);
  assert.equal(execStartExitCode('exec failed: unable to start container process: exec: "/etc": permission denied'), 126);
});
