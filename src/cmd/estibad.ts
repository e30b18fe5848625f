/**
 * estibad: the daemon. Parses flags, owns the data root (util/lockfile.ts), wires the engine,
 * serves the Engine API on every -H address, and shuts down cleanly on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { createDaemon, API_VERSION, MIN_API_VERSION } from '../engine/daemon.js';
import { createApiHandler } from '../server/server.js';
import { checkListenAddress, listen, loadTls, type Listener, type TlsFiles } from '../server/listen.js';
import { jsonLogger, type LogLevel, type Logger } from '../util/logger.js';
import { lookupGroupId } from '../util/group.js';
import { acquireLock } from '../util/lockfile.js';
import { InvalidParameter, messageOf } from '../errdefs/index.js';
import { DEFAULT_LOG_DRIVER, DEFAULT_LOG_OPTS, logPolicy } from '../container/log-config.js';
import { ESTIBA_VERSION, GIT_COMMIT } from './version.js';
import { parseMirror, type Mirror } from '../distribution/registry/endpoint.js';

const USAGE = `Usage: estibad [OPTIONS]

A Docker-compatible container engine daemon

Options:
  -H, --host list            Daemon socket(s) to connect to (default unix:///run/estiba/estiba.sock)
      --data-root string     Root directory of persistent state (default "/var/lib/estiba")
      --exec-root string     Root directory for execution state files (default "/run/estiba")
  -p, --pidfile string       Path to use for daemon PID file (default "/run/estiba/estibad.pid")
      --tls                  Use TLS; implied by --tlsverify
      --tlsverify            Use TLS and verify the remote
      --tlscacert string     Trust certs signed only by this CA (default "~/.docker/ca.pem")
      --tlscert string       Path to TLS certificate file (default "~/.docker/cert.pem")
      --tlskey string        Path to TLS key file (default "~/.docker/key.pem")
      --insecure-tcp         Allow plain TCP on a loopback address (never use it beyond loopback)
      --default-runtime string  Default OCI runtime for containers (default "runc")
  -D, --debug                Enable debug mode
  -l, --log-level string     Set the logging level ("debug"|"info"|"warn"|"error") (default "info")
  -G, --group string         Group for the unix socket (default "docker")
      --log-driver string    Default driver for container logs (default "json-file")
      --log-opt list         Default log driver options for containers (default max-size=10m, max-file=3)
      --bip string           Address and prefix of the default bridge network (default: a free pool, e.g. 172.17.0.1/16)
      --bridge-name string   Linux bridge of the default bridge network (default "estiba0")
      --insecure-registry list   Enable insecure registry communication (host[:port] or CIDR)
      --registry-mirror list     Preferred registry mirror: URL (for docker.io) or host[:port]=URL
      --max-concurrent-downloads int  Set the max concurrent downloads (default 3)
      --max-concurrent-uploads int    Set the max concurrent uploads (default 5)
      --max-download-attempts int     Set the max download attempts for each pull (default 5)
  -v, --version              Print version information and quit
`;

function findBinary(name: string, extraDirs: readonly string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':'), ...extraDirs]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

const DEFAULT_SOCKET_GROUP = 'docker';
const NETAVARK_DIRS = ['/usr/libexec/podman', '/usr/lib/podman'];

/**
 * The GID for the unix sockets, as dockerd picks it: `--group` (a name or a GID) must exist;
 * without it, the docker group when there is one, else the daemon's own group (root's).
 */
async function resolveSocketGroup(group: string | undefined, logger: Logger): Promise<number> {
  const name = group ?? DEFAULT_SOCKET_GROUP;
  if (name === '') return process.getgid?.() ?? 0;
  const gid = await lookupGroupId(name, { groupFile: '/etc/group' });
  if (gid !== undefined) return gid;
  // As dockerd: only a group asked for by name other than the default must exist.
  if (name !== DEFAULT_SOCKET_GROUP) throw new InvalidParameter(`group ${name} not found (--group)`);
  logger.warn('no docker group: the API socket keeps the daemon\'s group', { group: name });
  return process.getgid?.() ?? 0;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        host: { type: 'string', short: 'H', multiple: true },
        'data-root': { type: 'string', default: '/var/lib/estiba' },
        'exec-root': { type: 'string', default: '/run/estiba' },
        pidfile: { type: 'string', short: 'p' },
        tls: { type: 'boolean', default: false },
        tlsverify: { type: 'boolean', default: false },
        tlscacert: { type: 'string', default: join(homedir(), '.docker', 'ca.pem') },
        tlscert: { type: 'string', default: join(homedir(), '.docker', 'cert.pem') },
        tlskey: { type: 'string', default: join(homedir(), '.docker', 'key.pem') },
        'insecure-tcp': { type: 'boolean', default: false },
        'default-runtime': { type: 'string', default: 'runc' },
        debug: { type: 'boolean', short: 'D', default: false },
        'log-level': { type: 'string', short: 'l', default: 'info' },
        group: { type: 'string', short: 'G' },
        'log-driver': { type: 'string', default: 'json-file' },
        'log-opt': { type: 'string', multiple: true },
        bip: { type: 'string' },
        'bridge-name': { type: 'string', default: 'estiba0' },
        'insecure-registry': { type: 'string', multiple: true },
        'registry-mirror': { type: 'string', multiple: true },
        // Hidden: certs.d roots instead of /etc/docker/certs.d and /etc/estiba/certs.d (tests).
        'certs-d': { type: 'string', multiple: true },
        'max-concurrent-downloads': { type: 'string', default: '3' },
        'max-concurrent-uploads': { type: 'string', default: '5' },
        'max-download-attempts': { type: 'string', default: '5' },
        version: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    });
  } catch (err) {
    process.stderr.write(`estibad: ${messageOf(err)}\nSee 'estibad --help'.\n`);
    return 125;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (v.version) {
    process.stdout.write(`estibad version ${ESTIBA_VERSION}, build ${GIT_COMMIT}\n`);
    return 0;
  }
  const level = (v.debug ? 'debug' : v['log-level']) as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    process.stderr.write(`estibad: invalid log level ${JSON.stringify(level)}\n`);
    return 125;
  }
  // Containers' logging: json-file bounded by default, unless the daemon's --log-opt says otherwise.
  const logOpts: Record<string, string> = v['log-driver'] === DEFAULT_LOG_DRIVER && (v['log-opt'] ?? []).length === 0 ? { ...DEFAULT_LOG_OPTS } : {};
  for (const kv of v['log-opt'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) {
      process.stderr.write(`estibad: invalid --log-opt ${JSON.stringify(kv)}: want key=value\n`);
      return 125;
    }
    logOpts[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const logConfig = { Type: v['log-driver']!, Config: logOpts };
  try {
    logPolicy(logConfig);
  } catch (err) {
    process.stderr.write(`estibad: ${messageOf(err)}\n`);
    return 125;
  }
  let mirrors: Mirror[];
  try {
    mirrors = (v['registry-mirror'] ?? []).map(parseMirror);
  } catch (err) {
    process.stderr.write(`estibad: ${messageOf(err)}\n`);
    return 125;
  }
  const limits: Record<string, number> = {};
  for (const k of ['max-concurrent-downloads', 'max-concurrent-uploads', 'max-download-attempts'] as const) {
    const n = Number(v[k]);
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`estibad: invalid --${k} ${JSON.stringify(v[k])}: want a positive integer\n`);
      return 125;
    }
    limits[k] = n;
  }
  const logger = jsonLogger({ level, write: (line) => process.stderr.write(line) });
  const dataRoot = v['data-root']!;
  const execRoot = v['exec-root']!;
  const hosts = v.host && v.host.length > 0 ? v.host : [`unix://${join(execRoot, 'estiba.sock')}`];
  const pidfile = v.pidfile ?? join(execRoot, 'estibad.pid');

  // Every address and TLS file is checked before anything is locked, bound or written, so a
  // refused start leaves nothing behind.
  const useTls = v.tls || v.tlsverify;
  const tls: TlsFiles | undefined = useTls ? { ca: v.tlscacert!, cert: v.tlscert!, key: v.tlskey!, verify: v.tlsverify ?? false } : undefined;
  for (const address of hosts) {
    checkListenAddress(address, { tls: tls !== undefined && address.startsWith('tcp://'), allowInsecureTcp: v['insecure-tcp'] });
  }
  if (tls && hosts.some((h) => h.startsWith('tcp://'))) await loadTls(tls);
  const socketGid = hosts.some((h) => h.startsWith('unix://')) ? await resolveSocketGroup(v.group, logger) : undefined;

  await mkdir(dataRoot, { recursive: true, mode: 0o711 });
  const release = await acquireLock(join(dataRoot, 'estibad.lock'), `data root ${dataRoot}`);
  const listeners: Listener[] = [];
  const unbind = async (): Promise<void> => {
    await Promise.all(listeners.map((l) => l.close()));
    for (const l of listeners) {
      if (l.address.startsWith('unix://')) await rm(l.address.slice('unix://'.length), { force: true });
    }
  };
  let daemon: Awaited<ReturnType<typeof createDaemon>>;
  try {
    const runtimes: Record<string, { path: string }> = {};
    for (const name of ['runc', 'crun']) {
      const p = findBinary(name);
      if (p) runtimes[name] = { path: p };
    }
    daemon = await createDaemon({
      dataRoot,
      execRoot,
      logger,
      version: ESTIBA_VERSION,
      gitCommit: GIT_COMMIT,
      runtimes,
      defaultRuntime: v['default-runtime']!,
      registry: {
        insecureRegistries: v['insecure-registry'] ?? [],
        ...(v['certs-d'] ? { certsDirs: v['certs-d'] } : {}),
        mirrors,
        maxConcurrentDownloads: limits['max-concurrent-downloads']!,
        maxConcurrentUploads: limits['max-concurrent-uploads']!,
        maxDownloadAttempts: limits['max-download-attempts']!,
      },
      debug: v.debug ?? false,
      logConfig,
      network: {
        // Debian installs netavark and aardvark-dns for podman, outside PATH.
        netavark: findBinary('netavark', NETAVARK_DIRS) ?? 'netavark',
        aardvarkDns: findBinary('aardvark-dns', NETAVARK_DIRS) ?? 'aardvark-dns',
        bridgeName: v['bridge-name']!,
        ...(v.bip !== undefined ? { bip: v.bip } : {}),
      },
    });
    const handler = createApiHandler({
      routes: daemon.routes,
      logger,
      maxApiVersion: API_VERSION,
      minApiVersion: MIN_API_VERSION,
      serverHeader: `estiba/${ESTIBA_VERSION} (linux)`,
    });
    for (const address of hosts) {
      listeners.push(
        await listen({
          address,
          handler,
          upgrade: handler.upgrade,
          allowInsecureTcp: v['insecure-tcp'],
          socketGid,
          tls: address.startsWith('tcp://') ? tls : undefined,
        }),
      );
    }
    await mkdir(dirname(pidfile), { recursive: true });
    await writeFile(pidfile, String(process.pid));
  } catch (err) {
    // A failed start (an address in use, say) gives back what it took.
    await unbind();
    await release();
    throw err;
  }
  logger.info('API listen on', { addresses: listeners.map((l) => l.address), dataRoot, execRoot });

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    // Containers run on without us: a shutdown step that never ends must not keep the daemon up.
    setTimeout(() => {
      logger.warn('shutdown took over 10 s; exiting anyway');
      process.exit(0);
    }, 10_000).unref();
    await unbind();
    await daemon.close();
    await rm(pidfile, { force: true });
    await release();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`estibad: ${messageOf(err)}\n`);
    process.exit(1);
  },
);
