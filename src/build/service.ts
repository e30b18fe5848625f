/**
 * BuildService: the build router's backend. A build reads the context tar, parses the Dockerfile
 * (errors so far are the request's: the caller answers them with an HTTP status), then says
 * `begin` and runs the steps, whose output and failure go into the JSON stream.
 *
 * @module
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { dockerignoreMatcher } from './dockerignore.js';
import { InvalidParameter } from '../errdefs/index.js';
import type { Digest } from '../util/digest.js';
import { Build, prepareBuild, type BuildBackend, type BuildOptions, type BuildOutput } from './builder.js';
import type { BuildCache } from './cache.js';
import { BuildContext } from './context.js';
import { DockerfileParseError } from './parser.js';

export interface BuildCacheRecord {
  ID: string;
  Parents: string[] | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string;
  UsageCount: number;
}

export interface BuildServiceOptions {
  backend: BuildBackend;
  cache: BuildCache;
  /** Scratch space for context spill files; swept at start. */
  tmpDir: string;
  /** Size of an image's own top layer (for the cache's Size in `system df`). */
  stepSize?: (id: Digest) => Promise<number>;
  now?: () => Date;
}

export class BuildService {
  readonly #o: BuildServiceOptions;

  constructor(o: BuildServiceOptions) {
    this.#o = o;
  }

  async init(): Promise<void> {
    await mkdir(this.#o.tmpDir, { recursive: true });
    for (const n of await readdir(this.#o.tmpDir)) await rm(`${this.#o.tmpDir}/${n}`, { recursive: true, force: true });
    await this.#o.cache.init();
  }

  /**
   * Builds from a context tar. `begin` is called once the Dockerfile parsed; errors thrown
   * before it are the request's, errors after it belong in the stream.
   */
  async build(input: Readable, opts: BuildOptions, out: BuildOutput & { begin(): void }): Promise<Digest> {
    const ctx = await BuildContext.fromTar(input, this.#o.tmpDir, opts.signal);
    try {
      const dockerfile = opts.dockerfile === '' ? 'Dockerfile' : opts.dockerfile;
      // As moby: the Dockerfile and .dockerignore leave the context when .dockerignore excludes them.
      const patterns = await ctx.readText('.dockerignore');
      if (patterns !== undefined) {
        if (dockerignoreMatcher(patterns)('.dockerignore')) ctx.remove('.dockerignore');
      }
      let prepared;
      try {
        prepared = await prepareBuild(ctx, { ...opts, dockerfile });
      } catch (err) {
        if (err instanceof DockerfileParseError) throw new InvalidParameter(err.message, { cause: err });
        throw err;
      }
      if (patterns !== undefined && dockerignoreMatcher(patterns)(dockerfile)) ctx.remove(dockerfile);
      out.begin();
      const build = new Build({ backend: this.#o.backend, cache: this.#o.cache, ...(this.#o.now ? { now: this.#o.now } : {}) }, ctx, { ...opts, dockerfile }, out);
      try {
        return await build.run(prepared);
      } finally {
        await this.#o.cache.save();
      }
    } finally {
      await ctx.close();
    }
  }

  /** `POST /build/prune`: forgets cached steps (the images stay until `image prune`). */
  async prune(o: { all?: boolean } = {}): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    void o;
    const keys = this.#o.cache.entries().map(([k]) => k);
    let reclaimed = 0;
    for (const [, e] of this.#o.cache.entries()) reclaimed += (await this.#o.stepSize?.(e.image).catch(() => 0)) ?? 0;
    this.#o.cache.delete(keys);
    await this.#o.cache.save();
    return { CachesDeleted: keys.length > 0 ? keys : null, SpaceReclaimed: reclaimed };
  }

  /** Cache records for `system df` (BuildKit's shape, which the CLIs print). */
  async diskUsage(): Promise<BuildCacheRecord[]> {
    const out: BuildCacheRecord[] = [];
    for (const [k, e] of this.#o.cache.entries()) {
      out.push({
        ID: k.slice(0, 25),
        Parents: null,
        Type: 'regular',
        Description: e.description,
        InUse: false,
        Shared: false,
        Size: (await this.#o.stepSize?.(e.image).catch(() => 0)) ?? 0,
        CreatedAt: e.created,
        LastUsedAt: e.lastUsed,
        UsageCount: e.usageCount,
      });
    }
    return out;
  }
}
