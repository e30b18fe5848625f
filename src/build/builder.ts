/**
 * The builder: dispatches a parsed Dockerfile stage by stage the way dockerd's classic builder
 * does. Every step commits an image (untagged) on the previous one: RUN in a container (through
 * the backend), COPY/ADD/WORKDIR as a layer written directly, the rest as config only (a history
 * entry with empty_layer). Output is the classic builder's (`Step N/M : …`, ` ---> Using cache`,
 * ` ---> <id>`, `Successfully built`); the cache (cache.ts) is consulted before each step.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Pack } from 'tar-stream';
import { InvalidParameter } from '../errdefs/index.js';
import type { ContainerConfig, ImageConfig } from '../oci/image.js';
import type { Digest } from '../util/digest.js';
import { withXattrs } from '../util/tar-xattrs.js';
import { cacheKey, type BuildCache } from './cache.js';
import type { BuildContext, SourceTree } from './context.js';
import { checksumItems, collectSources, expandArchives, planCopy, type LayerEntry, type SourceItem } from './copy.js';
import { HostTree } from './host-tree.js';
import {
  parseStages, parseTrigger, type CopyInstr, type Instruction, type ParsedDockerfile, type RunInstr,
} from './instructions.js';
import { DockerfileParseError, type Node } from './parser.js';
import { processWord, processWords, ShellLexError, type Vars } from './shell-lex.js';

/** What the builder needs from the engine (images, containers); implemented in engine/build-backend.ts. */
export interface BuildBackend {
  /** A local image by reference or ID; undefined when there is none. */
  getImage(name: string): Promise<{ id: Digest; config: ImageConfig } | undefined>;
  /** Pulls `ref` (FROM of a missing image, or `--pull`), reporting progress as `docker pull` does. */
  pull(ref: string, o: { platform?: string; auths?: RegistryAuths; progress(message: unknown): void; signal?: AbortSignal }): Promise<void>;
  imageExists(id: Digest): boolean;
  /** Commits a step's image on `parent` (none: scratch). */
  commit(o: {
    parent?: Digest;
    config: ContainerConfig;
    createdBy: string;
    author?: string;
    containerId?: string;
    containerConfig?: ContainerConfig;
    layer?: (out: Writable) => Promise<void>;
    platform?: { os: string; architecture: string };
  }): Promise<Digest>;
  /**
   * Runs `config` in a container on `image` with the build's network; `output` gets its output as
   * it comes. Exit 0 commits the container's changes as an image (`commit`); returns the exit code.
   */
  run(o: {
    image: Digest;
    config: ContainerConfig;
    networkMode: string;
    extraHosts: string[];
    started(containerId: string): Promise<void>;
    output(chunk: Buffer, stream: 'stdout' | 'stderr'): Promise<void>;
    commit: { config: ContainerConfig; createdBy: string };
    remove: 'always' | 'on-success' | 'never';
    removed(containerId: string): Promise<void>;
    /** The client went away: the container is killed and the build stops. */
    signal?: AbortSignal;
    /** An executable file put at `path` before the start and taken out of the layer after. */
    script?: { path: string; content: string };
  }): Promise<{ exitCode: number; containerId: string; image?: Digest }>;
  /** Calls `fn` with a read-only view of the image's root filesystem (an empty dir for none). */
  withImageRoot<T>(image: Digest | undefined, fn: (root: string) => Promise<T>): Promise<T>;
  /** `user[:group]` → uid/gid through the image's /etc/passwd and /etc/group. */
  resolveChown(root: string, spec: string): Promise<{ uid: number; gid: number }>;
  tag(id: Digest, refs: readonly string[]): Promise<void>;
}

/** X-Registry-Config: credentials per registry (`127.0.0.1:5000`, `https://index.docker.io/v1/`). */
export type RegistryAuths = Record<string, { username?: string; password?: string; auth?: string; identitytoken?: string; registrytoken?: string; serveraddress?: string }>;

export interface BuildOptions {
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string | null>;
  noCache: boolean;
  quiet: boolean;
  labels: Record<string, string>;
  target?: string;
  networkMode: string;
  platform?: string;
  pull: boolean;
  rm: boolean;
  forceRm: boolean;
  extraHosts: string[];
  signal?: AbortSignal;
  registryAuths?: RegistryAuths;
}

export interface BuildOutput {
  stream(text: string): Promise<void>;
  aux(value: unknown): Promise<void>;
  /** A pull's progress message (status, id, progressDetail), as the classic builder streams it. */
  progress(message: unknown): Promise<void>;
}

/** A build that failed at a step; `code` is a failed RUN's exit code (the CLI exits with it). */
export class BuildError extends Error {
  override readonly name = 'BuildError';
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_SHELL = ['/bin/sh', '-c'];
/** Build args Docker accepts without an ARG and keeps out of history. */
const PROXY_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

interface StageState {
  name?: string;
  image?: Digest;
  config: ContainerConfig;
  author?: string;
  cmdSet: boolean;
  /** ARGs declared in this stage: name → value (undefined: declared without a value). */
  args: Map<string, string | undefined>;
  platform: { os: string; architecture: string };
}

const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

function envMap(env: readonly string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    m.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
  }
  return m;
}

function setEnv(cfg: ContainerConfig, key: string, value: string): void {
  const env = [...(cfg.Env ?? [])];
  const i = env.findIndex((e) => e.split('=')[0] === key);
  if (i >= 0) env[i] = `${key}=${value}`;
  else env.push(`${key}=${value}`);
  cfg.Env = env;
}

/** Go's %q of a []string, as Docker writes CMD/ENTRYPOINT/VOLUME in history. */
const goList = (xs: readonly string[], quote: boolean): string => `[${xs.map((x) => (quote ? JSON.stringify(x) : x)).join(' ')}]`;

/** Parses `signal`: a name (SIGTERM, TERM) or a number, as STOPSIGNAL accepts it. */
function checkSignal(s: string): void {
  if (/^\d+$/.test(s)) return;
  const name = s.toUpperCase().replace(/^SIG/, '');
  if (!/^(HUP|INT|QUIT|ILL|TRAP|ABRT|IOT|BUS|FPE|KILL|USR1|SEGV|USR2|PIPE|ALRM|TERM|STKFLT|CHLD|CONT|STOP|TSTP|TTIN|TTOU|URG|XCPU|XFSZ|VTALRM|PROF|WINCH|IO|POLL|PWR|SYS|RTMIN(\+\d+)?|RTMAX(-\d+)?)$/.test(name)) {
    throw new InvalidParameter(`Invalid signal: ${s}`);
  }
}

/** The prepared build: a parsed Dockerfile and the stages to run. */
export interface PreparedBuild {
  parsed: ParsedDockerfile;
  /** Index of the last stage to build (the target). */
  last: number;
  /** Instructions to report as steps, in order (global ARGs, then stages up to the target). */
  steps: Instruction[];
}

/** Reads and parses the Dockerfile from the context; errors here are the request's (HTTP 400). */
export async function prepareBuild(context: BuildContext, o: BuildOptions): Promise<PreparedBuild> {
  const name = o.dockerfile === '' ? 'Dockerfile' : o.dockerfile;
  let text = await context.readText(name);
  if (text === undefined && name === 'Dockerfile') text = await context.readText('dockerfile');
  if (text === undefined) throw new InvalidParameter(`Cannot locate specified Dockerfile: ${name}`);
  const parsed = parseStages(text, name);
  let last = parsed.stages.length - 1;
  if (o.target !== undefined && o.target !== '') {
    last = parsed.stages.findIndex((s) => s.name === o.target!.toLowerCase());
    if (last < 0) throw new InvalidParameter(`failed to reach build target ${o.target} in Dockerfile`);
  }
  const steps: Instruction[] = [...parsed.globalArgs];
  for (const s of parsed.stages.slice(0, last + 1)) steps.push(s.from, ...s.instructions);
  const labelKeys = Object.keys(o.labels);
  if (labelKeys.length > 0) {
    // As moby: --label becomes a LABEL instruction at the end of the target stage.
    const text = `LABEL ${labelKeys.map((k) => `${JSON.stringify(k)}='${o.labels[k]}'`).join(' ')}`;
    const node: Node = { cmd: 'label', original: text, rest: text.slice(6), flags: [], args: text.slice(6), heredocs: [], line: 0, endLine: 0 };
    const ins: Instruction = { kind: 'label', node, pairs: labelKeys.map((k) => [k, o.labels[k]!]) };
    parsed.stages[last]!.instructions.push(ins);
    steps.push(ins);
  }
  return { parsed, last, steps };
}

export interface BuilderDeps {
  backend: BuildBackend;
  cache: BuildCache;
  now?: () => Date;
}

/** One build. */
export class Build {
  readonly #b: BuildBackend;
  readonly #cache: BuildCache;
  readonly #o: BuildOptions;
  readonly #out: BuildOutput;
  readonly #ctx: BuildContext;
  readonly #now: () => Date;
  readonly #stages: StageState[] = [];
  readonly #usedArgs = new Set<string>();
  #step = 0;
  #total = 0;
  #globalArgs = new Map<string, string | undefined>();

  constructor(deps: BuilderDeps, ctx: BuildContext, o: BuildOptions, out: BuildOutput) {
    this.#b = deps.backend;
    this.#cache = deps.cache;
    this.#now = deps.now ?? (() => new Date());
    this.#ctx = ctx;
    this.#o = o;
    this.#out = out;
  }

  async #say(text: string): Promise<void> {
    if (!this.#o.quiet) await this.#out.stream(text);
  }

  /** Runs the build; resolves the final image ID. Failures throw BuildError (or a kinded error). */
  async run(p: PreparedBuild): Promise<Digest> {
    this.#total = p.steps.length;
    for (const a of p.parsed.globalArgs) {
      await this.#stepHeader(a.node);
      for (const { name, value } of a.args) {
        const v = this.#buildArg(name) ?? (value === undefined ? undefined : this.#expand(value, (n) => this.#globalArgs.get(n), a.node));
        this.#globalArgs.set(name, v);
      }
    }
    let last: StageState | undefined;
    for (let i = 0; i <= p.last; i++) {
      const stage = p.parsed.stages[i]!;
      last = await this.#from(stage.from, stage.name);
      this.#stages.push(last);
      for (const ins of stage.instructions) await this.#dispatch(last, ins, p);
      if (last.image === undefined) throw new BuildError('No image was generated. Is your Dockerfile empty?');
      if (!this.#o.quiet) await this.#out.aux({ ID: last.image });
    }
    const unused = Object.keys(this.#o.buildArgs).filter((k) => !this.#usedArgs.has(k) && !PROXY_ARGS.has(k)).sort();
    if (unused.length > 0) await this.#say(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    const id = last!.image!;
    if (this.#o.tags.length > 0) await this.#b.tag(id, this.#o.tags);
    await this.#say(`Successfully built ${shortId(id)}\n`);
    for (const t of this.#o.tags) await this.#say(`Successfully tagged ${familiar(t)}\n`);
    if (this.#o.quiet) await this.#out.stream(`${id}\n`);
    return id;
  }

  #buildArg(name: string): string | undefined {
    const v = this.#o.buildArgs[name];
    if (v === undefined || v === null) return undefined;
    this.#usedArgs.add(name);
    return v;
  }

  async #stepHeader(node: Node): Promise<void> {
    this.#o.signal?.throwIfAborted();
    this.#step++;
    await this.#say(`Step ${this.#step}/${this.#total} : ${node.original}`);
    await this.#say('\n');
  }

  #expand(word: string, vars: Vars, node: Node): string {
    try {
      return processWord(word, vars);
    } catch (err) {
      if (err instanceof ShellLexError) throw new DockerfileParseError(err.message, node.line, this.#o.dockerfile || 'Dockerfile');
      throw err;
    }
  }

  #expandWords(text: string, vars: Vars, node: Node): string[] {
    try {
      return processWords(text, vars);
    } catch (err) {
      if (err instanceof ShellLexError) throw new DockerfileParseError(err.message, node.line, this.#o.dockerfile || 'Dockerfile');
      throw err;
    }
  }

  /** Variables for expansion in a stage: its ENV, then its ARGs (ENV wins, as in Docker). */
  #vars(s: StageState): Vars {
    // A snapshot: the instruction being dispatched must not see its own assignments.
    const env = envMap(s.config.Env);
    const args = new Map(s.args);
    return (n) => (env.has(n) ? env.get(n) : args.has(n) ? args.get(n) : undefined);
  }

  async #from(ins: Instruction & { kind: 'from' }, name: string | undefined): Promise<StageState> {
    await this.#stepHeader(ins.node);
    const ref = this.#expand(ins.image, (n) => this.#globalArgs.get(n), ins.node);
    if (ref === '') throw new BuildError(`base name (${ins.image}) should not be blank`);
    const platform = { os: 'linux', architecture: 'amd64' };
    const state: StageState = { ...(name ? { name } : {}), config: {}, cmdSet: false, args: new Map(), platform };
    if (ref.toLowerCase() === 'scratch') {
      state.config = { Env: [DEFAULT_PATH] };
      return state;
    }
    const prev = this.#stageRef(ref);
    let base: { id: Digest; config: ImageConfig } | undefined;
    if (prev !== undefined) base = { id: prev.image!, config: { architecture: prev.platform.architecture, os: prev.platform.os, rootfs: { type: 'layers', diff_ids: [] }, config: prev.config } };
    else {
      // The classic builder pulls a base image it does not have, and with --pull every time.
      base = this.#o.pull ? undefined : await this.#b.getImage(ref);
      if (base === undefined) {
        const progress: Array<Promise<void>> = [];
        await this.#b.pull(ref, {
          ...(this.#o.platform ? { platform: this.#o.platform } : {}),
          ...(this.#o.registryAuths ? { auths: this.#o.registryAuths } : {}),
          progress: (m) => void progress.push(this.#o.quiet ? Promise.resolve() : this.#out.progress(m)),
          ...(this.#o.signal ? { signal: this.#o.signal } : {}),
        });
        await Promise.all(progress);
        base = await this.#b.getImage(ref);
        if (base === undefined) throw new BuildError(`No such image: ${ref}`);
      }
    }
    if (this.#o.platform !== undefined && this.#o.platform !== '') {
      const [os, arch] = this.#o.platform.split('/');
      if (os !== base.config.os || (arch !== undefined && arch !== base.config.architecture)) {
        throw new BuildError(`image with reference ${ref} was found but does not match the specified platform: wanted ${this.#o.platform}, actual: ${base.config.os}/${base.config.architecture}`);
      }
    }
    state.image = base.id;
    state.platform = { os: base.config.os, architecture: base.config.architecture };
    state.config = structuredClone(base.config.config ?? {});
    if (!(state.config.Env ?? []).some((e) => e.startsWith('PATH='))) state.config.Env = [...(state.config.Env ?? []), DEFAULT_PATH];
    await this.#say(` ---> ${shortId(base.id)}\n`);
    const triggers = state.config.OnBuild ?? [];
    if (triggers.length > 0) {
      await this.#say(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      state.config.OnBuild = null;
      for (const t of triggers) await this.#dispatch(state, parseTrigger(t, 'ONBUILD'), undefined, true);
    }
    return state;
  }

  #stageRef(ref: string): StageState | undefined {
    const byName = this.#stages.find((s) => s.name === ref.toLowerCase());
    if (byName) return byName;
    if (/^\d+$/.test(ref)) {
      const s = this.#stages[Number(ref)];
      if (s === undefined) throw new BuildError(`invalid from flag value ${ref}: index out of bounds`);
      return s;
    }
    return undefined;
  }

  /** A metadata-only step: cache, else commit the config with an empty layer. */
  async #commitConfig(s: StageState, createdBy: string): Promise<void> {
    const key = cacheKey(['config', s.image ?? 'scratch', createdBy, s.config, s.author ?? '']);
    await this.#commitStep(s, key, createdBy, () => this.#b.commit({ ...(s.image ? { parent: s.image } : {}), config: s.config, createdBy, ...(s.author ? { author: s.author } : {}), platform: s.platform }));
  }

  async #commitStep(s: StageState, key: string, description: string, make: () => Promise<Digest>): Promise<void> {
    if (!this.#o.noCache) {
      const hit = this.#cache.get(key, (id) => this.#b.imageExists(id), this.#now());
      if (hit !== undefined) {
        await this.#say(' ---> Using cache\n');
        await this.#say(` ---> ${shortId(hit)}\n`);
        s.image = hit;
        return;
      }
    }
    const id = await make();
    this.#cache.set(key, id, description, this.#now());
    s.image = id;
    await this.#say(` ---> ${shortId(id)}\n`);
  }

  async #dispatch(s: StageState, ins: Instruction, _p: PreparedBuild | undefined, trigger = false): Promise<void> {
    if (!trigger) await this.#stepHeader(ins.node);
    const vars = this.#vars(s);
    const nop = (text: string): string => `/bin/sh -c #(nop)  ${text}`;
    switch (ins.kind) {
      case 'env': {
        const parts: string[] = [];
        // Every value is expanded with the variables from before the instruction (`ENV A=1 B=$A`
        // gives B the old A), as Docker does.
        for (const [k, v] of ins.pairs) {
          const key = this.#expand(k, vars, ins.node);
          const value = this.#expand(v, vars, ins.node);
          setEnv(s.config, key, value);
          parts.push(`${key}=${value}`);
        }
        return this.#commitConfig(s, nop(`ENV ${parts.join(' ')}`));
      }
      case 'label': {
        const labels = { ...(s.config.Labels ?? {}) };
        const parts: string[] = [];
        for (const [k, v] of ins.pairs) {
          const key = this.#expand(k, vars, ins.node);
          const value = this.#expand(v, vars, ins.node);
          labels[key] = value;
          parts.push(`${key}=${value}`);
        }
        s.config.Labels = labels;
        return this.#commitConfig(s, nop(`LABEL ${parts.join(' ')}`));
      }
      case 'arg': {
        const parts: string[] = [];
        for (const { name, value } of ins.args) {
          let v = this.#buildArg(name);
          if (v === undefined && value !== undefined) v = this.#expand(value, vars, ins.node);
          if (v === undefined && this.#globalArgs.has(name)) v = this.#globalArgs.get(name);
          s.args.set(name, v);
          parts.push(value === undefined ? name : `${name}=${value}`);
        }
        return this.#commitConfig(s, nop(`ARG ${parts.join(' ')}`));
      }
      case 'cmd':
      case 'entrypoint': {
        const argv = ins.form.json ? ins.form.argv : [...(s.config.Shell ?? DEFAULT_SHELL), ins.form.cmd];
        if (ins.kind === 'cmd') {
          s.config.Cmd = argv;
          s.cmdSet = true;
        } else {
          s.config.Entrypoint = ins.form.json && argv.length === 0 ? null : argv;
          if (!s.cmdSet) s.config.Cmd = null;
        }
        return this.#commitConfig(s, nop(`${ins.kind.toUpperCase()} ${goList(argv, true)}`));
      }
      case 'expose': {
        const ports = { ...(s.config.ExposedPorts ?? {}) };
        const words = this.#expandWords(ins.words.join(' '), vars, ins.node);
        for (const w of words) {
          const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
          if (!m) throw new BuildError(`Invalid containerPort: ${w}`);
          const lo = Number(m[1]);
          const hi = m[2] === undefined ? lo : Number(m[2]);
          for (let p = lo; p <= hi; p++) ports[`${p}/${(m[3] ?? 'tcp').toLowerCase()}`] = {};
        }
        s.config.ExposedPorts = ports;
        return this.#commitConfig(s, nop(`EXPOSE ${words.join(' ')}`));
      }
      case 'volume': {
        const vols = { ...(s.config.Volumes ?? {}) };
        const words = ins.words.map((w) => this.#expand(w, vars, ins.node));
        for (const w of words) vols[w] = {};
        s.config.Volumes = vols;
        return this.#commitConfig(s, nop(`VOLUME ${goList(words, false)}`));
      }
      case 'user': {
        s.config.User = this.#expand(ins.value, vars, ins.node);
        return this.#commitConfig(s, nop(`USER ${s.config.User}`));
      }
      case 'stopsignal': {
        const sig = this.#expand(ins.value, vars, ins.node);
        checkSignal(sig);
        s.config.StopSignal = sig;
        return this.#commitConfig(s, nop(`STOPSIGNAL ${sig}`));
      }
      case 'maintainer': {
        s.author = ins.value;
        return this.#commitConfig(s, nop(`MAINTAINER ${ins.value}`));
      }
      case 'shell': {
        s.config.Shell = ins.argv;
        return this.#commitConfig(s, nop(`SHELL ${goList(ins.argv, false)}`));
      }
      case 'onbuild': {
        s.config.OnBuild = [...(s.config.OnBuild ?? []), ins.trigger];
        return this.#commitConfig(s, nop(`ONBUILD ${ins.trigger}`));
      }
      case 'healthcheck': {
        const hc: NonNullable<ContainerConfig['Healthcheck']> = { Test: ins.test };
        if (ins.interval !== undefined) hc.Interval = ins.interval;
        if (ins.timeout !== undefined) hc.Timeout = ins.timeout;
        if (ins.startPeriod !== undefined) hc.StartPeriod = ins.startPeriod;
        if (ins.startInterval !== undefined) (hc as Record<string, unknown>).StartInterval = ins.startInterval;
        if (ins.retries !== undefined) hc.Retries = ins.retries;
        s.config.Healthcheck = hc;
        return this.#commitConfig(s, nop(`HEALTHCHECK &{${goList(ins.test, true)} "${ins.interval ?? 0}" "${ins.timeout ?? 0}" "${ins.startPeriod ?? 0}" "${ins.startInterval ?? 0}" '${ins.retries ?? 0}'}`));
      }
      case 'workdir':
        return this.#workdir(s, this.#expand(ins.value, vars, ins.node));
      case 'run':
        return this.#run(s, ins);
      case 'copy':
      case 'add':
        return this.#copy(s, ins);
      case 'from':
        throw new BuildError('FROM is not allowed here');
    }
  }

  async #workdir(s: StageState, dir: string): Promise<void> {
    const wd = posix.normalize(dir.startsWith('/') ? dir : posix.join(s.config.WorkingDir || '/', dir));
    s.config.WorkingDir = wd;
    const createdBy = `/bin/sh -c #(nop) WORKDIR ${wd}`;
    const key = cacheKey(['workdir', s.image ?? 'scratch', createdBy, s.config, s.author ?? '']);
    await this.#commitStep(s, key, createdBy, async () => {
      const missing = await this.#b.withImageRoot(s.image, async (root) => {
        const tree = new HostTree(root);
        const out: string[] = [];
        let p = wd;
        while (p !== '/' && (await tree.stat(p.slice(1))) === undefined) {
          out.unshift(p.slice(1));
          p = posix.dirname(p);
        }
        return out;
      });
      const now = this.#now();
      const entries: LayerEntry[] = missing.map((name) => ({ name, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: now, size: 0 }));
      return this.#b.commit({
        ...(s.image ? { parent: s.image } : {}), config: s.config, createdBy, ...(s.author ? { author: s.author } : {}), platform: s.platform,
        ...(entries.length > 0 ? { layer: (out: Writable) => writeLayer(entries, out) } : {}),
      });
    });
  }

  /** Build args a RUN sees: declared ARGs with a value that ENV does not override, sorted as Docker. */
  #runArgs(s: StageState): string[] {
    const env = envMap(s.config.Env);
    const out: string[] = [];
    for (const [k, v] of s.args) if (v !== undefined && !env.has(k)) out.push(`${k}=${v}`);
    for (const k of Object.keys(this.#o.buildArgs)) {
      const v = this.#o.buildArgs[k];
      if (PROXY_ARGS.has(k) && v !== null && v !== undefined && !s.args.has(k)) out.push(`${k}=${v}`);
    }
    return out.sort();
  }

  async #run(s: StageState, ins: RunInstr): Promise<void> {
    if (s.image === undefined) throw new BuildError('RUN cannot be used on a scratch stage with no files: no shell to run it');
    const shell = s.config.Shell ?? DEFAULT_SHELL;
    let argv: string[];
    let script: { path: string; content: string } | undefined;
    if (ins.form.json) argv = ins.form.argv;
    else if (ins.heredocs.length === 1 && ins.form.cmd.trim().replace(/^<<-?["']?/, '').replace(/["']$/, '') === ins.heredocs[0]!.name) {
      const content = ins.heredocs[0]!.content;
      if (content.startsWith('#!')) {
        // A script with its own interpreter runs as a file (as BuildKit does), named after its
        // content so that the step's cache key is stable; it is not left in the layer.
        script = { path: `/.estiba-heredoc-${createHash('sha256').update(content).digest('hex').slice(0, 16)}`, content };
        argv = [script.path];
      } else argv = [...shell, content];
    } else if (ins.heredocs.length > 0) {
      argv = [...shell, [ins.form.cmd, ...ins.heredocs.map((h) => `${h.content}${h.name}`)].join('\n')];
    } else argv = [...shell, ins.form.cmd];
    const args = this.#runArgs(s).filter((a) => !PROXY_ARGS.has(a.split('=')[0]!));
    const createdBy = args.length > 0 ? `|${args.length} ${args.join(' ')} ${argv.join(' ')}` : argv.join(' ');
    const network = ins.network ?? this.#o.networkMode;
    const key = cacheKey(['run', s.image, createdBy, s.config, s.author ?? '']);
    if (!this.#o.noCache) {
      const hit = this.#cache.get(key, (id) => this.#b.imageExists(id), this.#now());
      if (hit !== undefined) {
        await this.#say(' ---> Using cache\n');
        await this.#say(` ---> ${shortId(hit)}\n`);
        s.image = hit;
        return;
      }
    }
    const env = [...(s.config.Env ?? [])];
    for (const a of this.#runArgs(s)) if (!env.some((e) => e.split('=')[0] === a.split('=')[0])) env.push(a);
    const runConfig: ContainerConfig = {
      ...s.config, Env: env, Cmd: argv, Entrypoint: [], Image: s.image, Healthcheck: { Test: ['NONE'] },
    };
    const r = await this.#b.run({
      image: s.image,
      config: runConfig,
      networkMode: network === '' ? 'default' : network,
      extraHosts: this.#o.extraHosts,
      started: (id) => this.#say(` ---> Running in ${shortId(id)}\n`),
      output: (chunk, stream) => this.#say(stream === 'stderr' ? `\u001b[91m${chunk.toString('utf8')}\u001b[0m` : chunk.toString('utf8')),
      commit: { config: s.config, createdBy },
      remove: this.#o.forceRm ? 'always' : this.#o.rm ? 'on-success' : 'never',
      removed: (id) => this.#say(`Removing intermediate container ${shortId(id)}\n`),
      ...(this.#o.signal ? { signal: this.#o.signal } : {}),
      ...(script ? { script } : {}),
    });
    if (r.exitCode !== 0 || r.image === undefined) {
      throw new BuildError(`The command '${argv.join(' ')}' returned a non-zero code: ${r.exitCode}`, r.exitCode);
    }
    this.#cache.set(key, r.image, createdBy, this.#now());
    s.image = r.image;
    await this.#say(` ---> ${shortId(r.image)}\n`);
  }

  async #copy(s: StageState, ins: CopyInstr): Promise<void> {
    const name = ins.kind.toUpperCase() as 'COPY' | 'ADD';
    const vars = this.#vars(s);
    const sources = ins.sources.map((x) => (x.startsWith('<<') ? x : this.#expand(x, vars, ins.node)));
    for (const x of sources) if (/^https?:\/\//.test(x) && ins.kind === 'copy') throw new BuildError(`COPY failed: source can't be a URL for COPY`);
    const checksum = ins.checksum === undefined ? undefined : this.#expand(ins.checksum, vars, ins.node);
    if (checksum !== undefined && !/^sha256:[0-9a-f]{64}$/.test(checksum)) throw new BuildError(`ADD failed: invalid checksum digest format: ${checksum}`);
    const fetchUrl = async (url: string): Promise<{ content: Buffer; mtime: Date }> => {
      const res = await fetch(url, { ...(this.#o.signal ? { signal: this.#o.signal } : {}) }).catch((err: unknown) => {
        throw new BuildError(`ADD failed: error downloading ${url}: ${(err as Error).message}`);
      });
      if (!res.ok) throw new BuildError(`ADD failed: failed to GET ${url} with status ${res.status} ${res.statusText}`);
      const content = Buffer.from(await res.arrayBuffer());
      const got = `sha256:${createHash('sha256').update(content).digest('hex')}`;
      if (checksum !== undefined && got !== checksum) throw new BuildError(`ADD failed: digest mismatch ${got}: ${checksum}`);
      const lm = res.headers.get('last-modified');
      return { content, mtime: lm !== null && !Number.isNaN(Date.parse(lm)) ? new Date(lm) : new Date(0) };
    };
    const dest = this.#expand(ins.dest, vars, ins.node);
    const chmod = ins.chmod === undefined ? undefined : this.#expand(ins.chmod, vars, ins.node);
    if (chmod !== undefined && !/^[0-7]{1,4}$/.test(chmod)) throw new BuildError(`${name} failed: invalid chmod parameter: ${chmod}`);
    const chown = ins.chown === undefined ? undefined : this.#expand(ins.chown, vars, ins.node);
    let fromImage: Digest | undefined;
    let fromName: string | undefined;
    if (ins.from !== undefined) {
      fromName = this.#expand(ins.from, vars, ins.node);
      const st = this.#stageRef(fromName);
      if (st) fromImage = st.image;
      else {
        const img = await this.#b.getImage(fromName);
        if (img === undefined) throw new BuildError(`invalid from flag value ${fromName}: No such image: ${fromName.includes(':') ? fromName : `${fromName}:latest`}`);
        fromImage = img.id;
      }
    }
    const heredocContent = (h: { content: string; expand: boolean }): string => (h.expand ? this.#expand(h.content.replace(/"/g, '\\"'), vars, ins.node) : h.content);
    const withSources = async <T>(fn: (tree: SourceTree, items: SourceItem[]) => Promise<T>): Promise<T> => {
      const collect = async (tree: SourceTree, fromContext: boolean): Promise<T> => {
        let items: SourceItem[];
        try {
          items = await collectSources(tree, sources, { heredocs: ins.heredocs, heredocContent, fromContext, ...(ins.kind === 'add' ? { fetchUrl } : {}) });
          if (ins.kind === 'add' && fromContext) items = await expandArchives(items);
        } catch (err) {
          if (err instanceof BuildError) throw err;
          throw new BuildError(`${name} failed: ${(err as Error).message}`);
        }
        return fn(tree, items);
      };
      if (ins.from !== undefined) return this.#b.withImageRoot(fromImage, (root) => collect(new HostTree(root), false));
      return collect(this.#ctx, true);
    };
    await withSources(async (_tree, items) => {
      const sum = await checksumItems(items);
      const kind = items.length === 1 && !items[0]!.fromDir ? 'file' : sources.length === 1 && items[0]?.fromDir === true ? 'dir' : 'multi';
      const createdBy = `/bin/sh -c #(nop) ${name} ${ins.chown !== undefined ? `--chown=${chown} ` : ''}${ins.chmod !== undefined ? `--chmod=${chmod} ` : ''}${fromName !== undefined ? `--from=${fromName} ` : ''}${kind}:${sum} in ${dest} `;
      const key = cacheKey(['copy', s.image ?? 'scratch', createdBy, fromImage ?? '', s.config, s.author ?? '']);
      await this.#commitStep(s, key, createdBy, () =>
        this.#b.withImageRoot(s.image, async (root) => {
          const tree = new HostTree(root);
          const owner = chown === undefined ? undefined : await this.#b.resolveChown(root, chown).catch((err: unknown) => {
            throw new BuildError(`${name} failed: ${(err as Error).message}`);
          });
          const sourceCount = new Set(items.filter((i) => i.rel === '' || !i.fromDir).map((i) => `${i.source}:${i.entry.path}`)).size;
          let entries: LayerEntry[];
          try {
            entries = await planCopy(items, {
              dest, workdir: s.config.WorkingDir ?? '/', multiple: sourceCount > 1, instruction: name, now: this.#now(),
              ...(owner ? { chown: owner } : {}),
              ...(chmod !== undefined ? { chmod: parseInt(chmod, 8) } : {}),
              existing: async (p) => {
                const e = await tree.stat(p.slice(1));
                return e === undefined ? undefined : e.type === 'directory' ? 'dir' : 'other';
              },
            });
          } catch (err) {
            throw new BuildError(`${name} failed: ${(err as Error).message}`);
          }
          return this.#b.commit({
            ...(s.image ? { parent: s.image } : {}), config: s.config, createdBy, ...(s.author ? { author: s.author } : {}), platform: s.platform,
            layer: (out) => writeLayer(entries, out),
          });
        }),
      );
    });
  }
}

/** A familiar reference for "Successfully tagged": `x` → `x:latest`. */
function familiar(tag: string): string {
  const lastSlash = tag.lastIndexOf('/');
  return tag.slice(lastSlash + 1).includes(':') ? tag : `${tag}:latest`;
}

/** One entry; the previous one must have finished (withXattrs writes between entries). */
function addEntry(p: Pack, e: LayerEntry): Promise<void> {
  return new Promise((resolve, reject) => {
    const plain = { name: e.type === 'directory' ? `${e.name}/` : e.name, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, size: e.type === 'file' ? e.size : 0, ...(e.linkname ? { linkname: e.linkname } : {}) };
    const header = withXattrs(p, plain, e.xattrs);
    if (e.type !== 'file') {
      p.entry(header, (err) => (err ? reject(err) : resolve()));
      return;
    }
    if (e.content !== undefined) {
      p.entry({ ...header, size: e.content.length }, e.content, (err) => (err ? reject(err) : resolve()));
      return;
    }
    const sink = p.entry(header, (err) => (err ? reject(err) : resolve()));
    const src: Readable = e.data!();
    src.on('error', reject);
    src.pipe(sink as unknown as Writable);
  });
}

/** Writes the entries as an uncompressed layer tar into `out`. */
export async function writeLayer(entries: readonly LayerEntry[], out: Writable): Promise<void> {
  const p = tarPack();
  const done = pipeline(p, out);
  for (const e of entries) await addEntry(p, e);
  p.finalize();
  await done;
}
