import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from './estibad.js';
import { dockerCli, type DockerCliResult } from './docker-peer.js';

/** A test file's own estibad with busybox:latest loaded, driven by the real docker CLI. */
export interface BusyboxDaemon {
  /** The daemon; a test that restarts it assigns the new process here. */
  d: EstibadProcess;
  /** A temp dir for the file's own files (busybox.tar is in it). */
  work: string;
  docker(...args: string[]): Promise<DockerCliResult>;
  /** Runs docker and asserts exit 0; returns stdout. */
  ok(...args: string[]): Promise<string>;
}

/**
 * Registers the file's before/after hooks: start estibad on temp roots and load busybox;
 * afterwards remove every container (they outlive the daemon by design), stop it and clean up.
 */
export function useBusyboxDaemon(tempPrefix: string): BusyboxDaemon {
  const s = {} as BusyboxDaemon;
  s.docker = (...args) => dockerCli(args, { host: s.d.host, timeoutMs: 60_000 });
  s.ok = async (...args) => {
    const r = await s.docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  before(async () => {
    s.d = await startEstibad();
    s.work = await mkdtemp(join(tmpdir(), tempPrefix));
    await writeBusyboxArchive(join(s.work, 'busybox.tar'), { tag: 'busybox:latest' });
    await s.ok('load', '-i', join(s.work, 'busybox.tar'));
  });
  after(async () => {
    if (s.d !== undefined) {
      const ids = (await s.docker('ps', '-aq')).stdout.split('\n').filter((l) => l !== '');
      if (ids.length > 0) await s.docker('rm', '-f', ...ids);
      await s.d.stop();
      await s.d.cleanup();
    }
    if (s.work !== undefined) await rm(s.work, { recursive: true, force: true });
  });
  return s;
}
