/**
 * The builder's backend over the engine: images through ImageService, RUN steps as real
 * containers through ContainerService (conmon + runc, the build's network), their overlay upper
 * dir committed as the step's layer (rootfs-changes.ts, as `docker commit` does).
 *
 * @module
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack } from 'tar-stream';
import type { BuildBackend, RegistryAuths } from '../build/builder.js';
import { fullName, parseNormalizedReference } from '../oci/reference.js';
import { isNotFound, messageOf, System } from '../errdefs/index.js';
import type { ImageService } from '../image/service.js';
import { chainIds, type LayerStore } from '../store/layers/store.js';
import type { Digest } from '../util/digest.js';
import type { Logger } from '../util/logger.js';
import type { ContainerService } from './containers.js';
import { resolveUser } from './container-spec.js';
import { packLayer, upperChanges } from './rootfs-changes.js';
import { execCommand } from '../util/exec.js';


export interface BuildBackendOptions {
  images: ImageService;
  containers: ContainerService;
  layers: LayerStore;
  /** Scratch space for mounts (`<data-root>/builder/tmp`). */
  tmpDir: string;
  logger: Logger;
}

/**
 * Start-up: image roots a crashed daemon left mounted under `tmpDir` are unmounted and removed
 * (they are read-only views; nothing in them is lost).
 */
export async function sweepImageRoots(tmpDir: string): Promise<void> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const prefix = `${tmpDir}/`;
  for (const line of info.split('\n')) {
    const target = line.split(' ')[4]?.replace(/\\040/g, ' ');
    if (target?.startsWith(prefix)) await execCommand('umount', ['-l', target]);
  }
  await rm(tmpDir, { recursive: true, force: true });
}

/** The X-Registry-Config entry for a registry: keys may carry a scheme and a path (Docker Hub's `https://index.docker.io/v1/`). */
function authFor(domain: string, auths: RegistryAuths | undefined): RegistryAuths[string] | undefined {
  for (const [key, auth] of Object.entries(auths ?? {})) {
    const host = key.replace(/^[a-z]+:\/\//, '').split('/')[0]!;
    if (host === domain || (domain === 'docker.io' && (host === 'index.docker.io' || host === 'registry-1.docker.io'))) return auth;
  }
  return undefined;
}

export function createBuildBackend(o: BuildBackendOptions): BuildBackend {
  const { images, containers } = o;
  return {
    async getImage(name) {
      try {
        const img = images.resolve(name);
        return { id: img.id, config: await images.config(img.id) };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        // A malformed reference is no local image either (the CLI validated tags already).
        if (messageOf(err).includes('invalid reference format')) return undefined;
        throw err;
      }
    },

    async pull(ref, po) {
      const r = parseNormalizedReference(ref);
      const tagged = r.tag === undefined && r.digest === undefined ? `${fullName(r)}:latest` : ref;
      const auth = authFor(r.domain, po.auths);
      await images.pull({
        fromImage: tagged,
        ...(po.platform ? { platform: po.platform } : {}),
        ...(auth ? { auth } : {}),
        progress: (m) => po.progress(m),
        ...(po.signal ? { signal: po.signal } : {}),
      });
    },

    imageExists(id) {
      try {
        images.resolve(id);
        return true;
      } catch {
        return false;
      }
    },

    commit(c) {
      return images.createBuildImage({
        ...(c.parent !== undefined ? { parent: c.parent } : {}),
        config: c.config,
        history: { created_by: c.createdBy },
        ...(c.author !== undefined ? { author: c.author } : {}),
        ...(c.containerId !== undefined ? { containerId: c.containerId } : {}),
        ...(c.containerConfig !== undefined ? { containerConfig: c.containerConfig } : {}),
        ...(c.layer !== undefined ? { layer: c.layer } : {}),
        ...(c.platform !== undefined ? { platform: c.platform } : {}),
      });
    },

    async run(r) {
      const { Id: id } = await containers.create({
        ...r.config,
        Image: r.image,
        HostConfig: {
          NetworkMode: r.networkMode,
          ...(r.extraHosts.length > 0 ? { ExtraHosts: r.extraHosts } : {}),
          LogConfig: { Type: 'json-file', Config: {} },
        },
      });
      let removeIt = r.remove === 'always';
      const onAbort = (): void => {
        void containers.kill(id).catch((err: unknown) => o.logger.debug('kill of an aborted build step', { id, err: messageOf(err) }));
      };
      r.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const script = r.script;
        if (script !== undefined) {
          await containers.withRootfs(id, (_c, rp) => writeFile(join(rp.merged, script.path), script.content, { mode: 0o755 }));
        }
        await r.started(id);
        const exited = containers.wait(id, 'next-exit').result;
        await containers.start(id);
        const { messages } = containers.logs(id, { stdout: true, stderr: true, follow: true, timestamps: false });
        for await (const batch of messages) {
          for (const m of batch.messages()) await r.output(m.line, m.stream);
        }
        const { StatusCode: exitCode } = await exited;
        r.signal?.throwIfAborted();
        if (exitCode !== 0) return { exitCode, containerId: id };
        const image = await containers.withRootfs(id, async (_c, rp, lowers) => {
          // The heredoc script was only ever in the upper dir: removing it there leaves no trace.
          if (r.script !== undefined) await rm(join(rp.upper, r.script.path), { force: true });
          const changes = await upperChanges(rp.upper, lowers, { capabilities: true });
          return images.createBuildImage({
            parent: r.image,
            config: r.commit.config,
            history: { created_by: r.commit.createdBy },
            containerId: id,
            containerConfig: r.config,
            layer: async (out) => {
              const p = tarPack();
              const done = pipeline(p, out);
              await packLayer(p, rp.upper, changes);
              p.finalize();
              await done;
            },
          });
        });
        if (r.remove === 'on-success') removeIt = true;
        return { exitCode, containerId: id, image };
      } finally {
        r.signal?.removeEventListener('abort', onAbort);
        if (removeIt) {
          await containers.remove(id, { force: true }).then(
            () => r.removed(id),
            (err: unknown) => o.logger.warn('removing a build container failed', { id, err: messageOf(err) }),
          );
        }
      }
    },

    async withImageRoot(image, fn) {
      const layers = image === undefined ? [] : chainIds(images.resolve(image).layers.map((l) => l.diffId));
      const dirs = layers.map((c) => o.layers.diffDir(c)).reverse();
      if (dirs.length === 1) return fn(dirs[0]!);
      await mkdir(o.tmpDir, { recursive: true });
      const mnt = await mkdtemp(join(o.tmpDir, 'root-'));
      if (dirs.length === 0) {
        try {
          return await fn(mnt);
        } finally {
          await rm(mnt, { recursive: true, force: true });
        }
      }
      // A read-only overlay of the layers alone; named relative to the layer store so that a
      // deep image stays under the kernel's one-page limit for mount options.
      const base = dirname(dirname(dirs[0]!));
      try {
        await execCommand('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${dirs.map((d) => relative(base, d)).join(':')}`, mnt], { cwd: base });
      } catch (err) {
        await rm(mnt, { recursive: true, force: true });
        throw new System(`mount image root: ${(err as { stderr?: string }).stderr?.trim() ?? messageOf(err)}`, { cause: err });
      }
      try {
        return await fn(mnt);
      } finally {
        await execCommand('umount', [mnt]).catch(() => execCommand('umount', ['-l', mnt]));
        await rm(mnt, { recursive: true, force: true });
      }
    },

    async resolveChown(root, spec) {
      const u = await resolveUser(root, spec);
      // Docker: a user without a group takes the same numeric ID as its group.
      if (!spec.includes(':') && /^\d+$/.test(spec)) return { uid: u.uid, gid: u.uid };
      return { uid: u.uid, gid: u.gid };
    },

    tag(id: Digest, refs) {
      return images.tagMany(id, refs);
    },
  };
}
