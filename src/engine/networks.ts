/**
 * NetworkService: Docker's networks over netavark. It owns the network records (the predefined
 * `bridge`, `host` and `none`, and user-defined bridge networks), the IP leases and each
 * container's network state, and gives ContainerService the hooks it calls:
 *
 *   create → attachmentsFor (validate NetworkMode/EndpointsConfig) → created (record them)
 *   start  → setUp: leases + host ports persisted, netns made under the exec root, `netavark
 *            setup`; returns the namespace for the spec and the hosts/resolv.conf contents
 *   exit   → tearDown: `netavark teardown`, netns removed, leases released (also on a failed start)
 *   remove → removed;  daemon start → reconcile (whatever a crash left set up is torn down)
 *
 * Crash safety: what is about to be set up (addresses, ports, netns path) is written before
 * netavark runs, so a daemon killed at any point can tear it down at its next start.
 * Concurrency: one lock ('net') serialises every change of records, leases and container state.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  EndpointSettings, NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse, NetworkDisconnectRequest, NetworkInspect, NetworkPruneResponse,
} from '../api/networks.js';
import type { HostConfig } from '../api/containers.js';
import type { Filters } from '../api/types.js';
import type { ContainerRecord } from '../container/container.js';
import { Conflict, Forbidden, InvalidParameter, NotFound, isErrno, isNotFound, messageOf } from '../errdefs/index.js';
import type { NamespaceMode } from '../oci/spec-opts/namespaces.js';
import type { Logger } from '../util/logger.js';
import { KeyedMutex } from '../util/mutex.js';
import { formatCidr, parseSubnet, tryParseCidr, overlaps, type Cidr } from '../network/cidr.js';
import { hostsFile, parseExtraHost, parseResolvConf, resolvConfFile } from '../network/etc-files.js';
import { allocateIp, chooseSubnet, completeIpamConfig, defaultPools } from '../network/ipam.js';
import { netavarkName, type Netavark, type NetavarkAttachment } from '../network/netavark.js';
import { createNetns, removeNetns } from '../network/netns.js';
import { allocatePorts, portMap, portRequests, summaryPorts } from '../network/ports.js';
import type { NetworkStore } from '../network/store.js';
import type { ActiveNetwork, Attachment, ContainerNetworkState, Endpoint, NetworkRecord, PortMapping } from '../network/types.js';

const DEFAULT_BRIDGE = 'com.docker.network.bridge.default_bridge';
const BRIDGE_NAME = 'com.docker.network.bridge.name';
const PREDEFINED = ['bridge', 'host', 'none'];

/** What the service needs to know about containers. */
export interface NetworkContainers {
  get(ref: string): ContainerRecord;
  find(ref: string): ContainerRecord | undefined;
  list(): ContainerRecord[];
  /** The container's directory (its hosts and resolv.conf files live there). */
  dir(id: string): string;
  isRunning(c: ContainerRecord): boolean;
}

export interface NetworkServiceOptions {
  store: NetworkStore;
  netavark: Netavark;
  containers: NetworkContainers;
  /** Network namespaces are bind-mounted under `<execRoot>/netns`. */
  execRoot: string;
  /** The default bridge's Linux interface (`estiba0`). */
  bridgeName: string;
  /** The default bridge's address (`--bip`, e.g. `10.66.0.1/24`); chosen from the default pools when absent. */
  bip?: string;
  /** Prefixes the host uses (routes, addresses), avoided when choosing a subnet. */
  hostPrefixes: () => Promise<Cidr[]>;
  emit: (action: string, id: string, attributes: Record<string, string>) => void;
  logger: Logger;
  now?: () => Date;
  /** The host's resolver configuration; /etc/resolv.conf by default. */
  resolvConfPath?: string;
}

export interface NetworkSetup {
  namespace: NamespaceMode;
  hosts: string;
  resolvConf: string;
}

function randomId(): string {
  return randomBytes(32).toString('hex');
}

function isUserDefined(n: NetworkRecord): boolean {
  return n.Driver === 'bridge' && n.Options[DEFAULT_BRIDGE] !== 'true';
}

function networkInspectOf(n: NetworkRecord, containers: NetworkInspect['Containers']): NetworkInspect {
  const { BridgeName: _b, ...wire } = n;
  return { ...wire, IPAM: { ...n.IPAM, Config: n.IPAM.Config.map((c) => ({ ...c })) }, Containers: containers };
}

export class NetworkService {
  readonly #o: NetworkServiceOptions;
  readonly #lock = new KeyedMutex();

  constructor(o: NetworkServiceOptions) {
    this.#o = o;
  }

  get #now(): Date {
    return (this.#o.now ?? (() => new Date()))();
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.#lock.run('net', fn);
  }

  // ---- start-up -------------------------------------------------------------------------

  /** Loads the records and makes the predefined networks on first start. */
  async init(): Promise<void> {
    const { store } = this.#o;
    await store.init();
    const byName = (name: string): NetworkRecord | undefined => store.networks().find((n) => n.Name === name);
    const base = (name: string, driver: string): NetworkRecord => ({
      Name: name, Id: randomId(), Created: this.#now.toISOString(), Scope: 'local', Driver: driver, EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
      ConfigFrom: { Network: '' }, ConfigOnly: false, Options: {}, Labels: {},
    });
    if (byName('none') === undefined) await store.saveNetwork(base('none', 'null'));
    if (byName('host') === undefined) await store.saveNetwork(base('host', 'host'));
    const bridge = byName('bridge');
    if (bridge === undefined) {
      let cfg;
      if (this.#o.bip !== undefined) {
        const c = tryParseCidr(this.#o.bip);
        if (c === undefined) throw new InvalidParameter(`invalid --bip: ${this.#o.bip}`);
        cfg = completeIpamConfig({ Subnet: formatCidr(c), ...(c.addr !== c.base ? { Gateway: this.#o.bip.split('/')[0]! } : {}) });
      } else {
        cfg = completeIpamConfig({ Subnet: formatCidr(await this.#freeSubnet()) });
      }
      const n = base('bridge', 'bridge');
      n.IPAM.Config = [cfg];
      n.Options = {
        [DEFAULT_BRIDGE]: 'true',
        'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        [BRIDGE_NAME]: this.#o.bridgeName,
        'com.docker.network.driver.mtu': '1500',
      };
      n.BridgeName = this.#o.bridgeName;
      await store.saveNetwork(n);
    }
  }

  async #freeSubnet(): Promise<Cidr> {
    const taken = [...(await this.#o.hostPrefixes()), ...this.#o.store.networks().flatMap((n) => n.IPAM.Config.map((c) => parseSubnet(c.Subnet)))];
    return chooseSubnet(defaultPools(), taken);
  }

  /**
   * After ContainerService.reconcile: whatever is still set up for a container that is not
   * running (or no longer exists) is torn down, and leases nobody holds are dropped.
   */
  async reconcile(): Promise<void> {
    const { store, containers } = this.#o;
    for (const s of store.containers()) {
      const c = containers.find(s.ContainerID);
      if (c !== undefined && containers.isRunning(c)) continue;
      if (s.Active !== undefined) {
        this.#o.logger.info('network: tearing down what a stopped container left', { id: s.ContainerID });
        await this.#locked(() => this.#tearDownLocked(s, c?.Name.slice(1) ?? s.ContainerID));
      }
      if (c === undefined) await this.#locked(() => store.deleteContainer(s.ContainerID));
    }
    await this.#locked(async () => {
      for (const n of store.networks()) {
        const leases = { ...store.leases(n.Id) };
        let changed = false;
        for (const [ip, cid] of Object.entries(leases)) {
          const active = store.container(cid)?.Active;
          if (active?.Endpoints.some((e) => e.NetworkID === n.Id && e.IPAddress === ip)) continue;
          delete leases[ip];
          changed = true;
        }
        if (changed) await store.setLeases(n.Id, leases);
      }
    });
  }

  // ---- lookups --------------------------------------------------------------------------

  /** By full ID, exact name, then unique ID prefix (moby's FindNetwork order). */
  #find(ref: string): NetworkRecord {
    const all = this.#o.store.networks();
    const byId = all.find((n) => n.Id === ref);
    if (byId !== undefined) return byId;
    const byName = all.filter((n) => n.Name === ref);
    if (byName.length === 1) return byName[0]!;
    const byPrefix = ref === '' ? [] : all.filter((n) => n.Id.startsWith(ref));
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw new InvalidParameter(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    throw new NotFound(`network ${ref} not found`);
  }

  #byName(name: string): NetworkRecord {
    const n = this.#o.store.networks().find((x) => x.Name === name);
    if (n === undefined) throw new NotFound(`network ${name} not found`);
    return n;
  }

  #endpointsOn(n: NetworkRecord): Array<{ state: ContainerNetworkState; endpoint: Endpoint }> {
    const out: Array<{ state: ContainerNetworkState; endpoint: Endpoint }> = [];
    for (const s of this.#o.store.containers()) {
      for (const e of s.Active?.Endpoints ?? []) if (e.NetworkID === n.Id) out.push({ state: s, endpoint: e });
    }
    return out;
  }

  // ---- the /networks API -----------------------------------------------------------------

  async create(req: NetworkCreateRequest): Promise<NetworkCreateResponse> {
    if (typeof req.Name !== 'string' || req.Name === '') throw new InvalidParameter('network name must not be empty');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(req.Name)) throw new InvalidParameter(`invalid network name "${req.Name}": must match [a-zA-Z0-9][a-zA-Z0-9_.-]`);
    const driver = req.Driver === undefined || req.Driver === '' ? 'bridge' : req.Driver;
    if (driver !== 'bridge') {
      if (PREDEFINED.includes(driver) || driver === 'null') throw new Forbidden(`only one instance of "${driver}" network is allowed`);
      throw new NotFound(`plugin "${driver}" not found`);
    }
    if (req.EnableIPv6 === true) throw new InvalidParameter('IPv6 networks are not supported by this daemon yet');
    const ipamDriver = req.IPAM?.Driver ?? '';
    if (ipamDriver !== '' && ipamDriver !== 'default') throw new NotFound(`plugin "${ipamDriver}" not found`);
    return this.#locked(async () => {
      const { store } = this.#o;
      if (PREDEFINED.includes(req.Name) || store.networks().some((n) => n.Name === req.Name)) {
        throw new Conflict(`network with name ${req.Name} already exists`);
      }
      const requested = (req.IPAM?.Config ?? []).filter((c) => c.Subnet !== undefined && c.Subnet !== '' || c.IPRange || c.Gateway);
      const configs = [];
      for (const c of requested) {
        if (c.Subnet === undefined || c.Subnet === '') throw new InvalidParameter('ip-range and gateway need a subnet');
        if (c.Subnet.includes(':')) throw new InvalidParameter('IPv6 networks are not supported by this daemon yet');
        configs.push(completeIpamConfig({ Subnet: c.Subnet, ...(c.Gateway ? { Gateway: c.Gateway } : {}), ...(c.IPRange ? { IPRange: c.IPRange } : {}), ...(c.AuxiliaryAddresses ? { AuxiliaryAddresses: c.AuxiliaryAddresses } : {}) }));
      }
      const taken = store.networks().flatMap((n) => n.IPAM.Config.map((c) => parseSubnet(c.Subnet)));
      for (let i = 0; i < configs.length; i++) {
        const sub = parseSubnet(configs[i]!.Subnet);
        if (taken.some((t) => overlaps(t, sub)) || configs.slice(0, i).some((c) => overlaps(parseSubnet(c.Subnet), sub))) {
          throw new Forbidden('Pool overlaps with other one on this address space');
        }
      }
      if (configs.length === 0) configs.push(completeIpamConfig({ Subnet: formatCidr(await this.#freeSubnet()) }));
      const id = randomId();
      const options = { ...(req.Options ?? {}) };
      const bridgeName = options[BRIDGE_NAME] ?? `br-${id.slice(0, 12)}`;
      if (bridgeName.length > 15) throw new InvalidParameter(`bridge name ${bridgeName} is longer than 15 characters`);
      if (store.networks().some((n) => n.BridgeName === bridgeName)) throw new Conflict(`bridge name ${bridgeName} is already used by another network`);
      const n: NetworkRecord = {
        Name: req.Name, Id: id, Created: this.#now.toISOString(), Scope: 'local', Driver: 'bridge', EnableIPv6: false,
        IPAM: { Driver: 'default', Options: req.IPAM?.Options ?? {}, Config: configs },
        Internal: req.Internal === true, Attachable: req.Attachable === true, Ingress: false,
        ConfigFrom: { Network: '' }, ConfigOnly: false, Options: options, Labels: { ...(req.Labels ?? {}) }, BridgeName: bridgeName,
      };
      await store.saveNetwork(n);
      this.#o.emit('create', n.Id, { name: n.Name, type: n.Driver });
      return { Id: n.Id, Warning: '' };
    });
  }

  list(filters: Filters = new Map()): NetworkInspect[] {
    for (const k of filters.keys()) {
      if (!['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'].includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
    }
    const any = (key: string, pred: (v: string) => boolean): boolean => {
      const vals = filters.get(key);
      return vals === undefined || vals.length === 0 || vals.some(pred);
    };
    const inUse = new Set(this.#o.store.containers().flatMap((s) => s.Attachments.map((a) => a.NetworkID)));
    return this.#o.store.networks()
      .filter((n) => any('driver', (v) => v === n.Driver) && any('id', (v) => n.Id.startsWith(v)) && any('name', (v) => n.Name.includes(v)) &&
        any('scope', (v) => v === 'local') &&
        any('type', (v) => (v === 'custom' ? isUserDefined(n) : v === 'builtin' ? !isUserDefined(n) : false)) &&
        any('dangling', (v) => ((v === 'true' || v === '1') ? isUserDefined(n) && !inUse.has(n.Id) : true)) &&
        any('label', (v) => {
          const [k, val] = v.split('=');
          return val === undefined ? k! in n.Labels : n.Labels[k!] === val;
        }))
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((n) => networkInspectOf(n, {}));
  }

  inspect(ref: string): NetworkInspect {
    const n = this.#find(ref);
    const containers: NetworkInspect['Containers'] = {};
    for (const { state, endpoint } of this.#endpointsOn(n)) {
      const c = this.#o.containers.find(state.ContainerID);
      containers[state.ContainerID] = {
        Name: c?.Name.slice(1) ?? '',
        EndpointID: endpoint.EndpointID,
        MacAddress: endpoint.MacAddress,
        IPv4Address: `${endpoint.IPAddress}/${endpoint.IPPrefixLen}`,
        IPv6Address: '',
      };
    }
    return networkInspectOf(n, containers);
  }

  async remove(ref: string): Promise<void> {
    await this.#locked(async () => {
      const n = this.#find(ref);
      if (!isUserDefined(n)) throw new Forbidden(`${n.Name} is a pre-defined network and cannot be removed`);
      if (this.#endpointsOn(n).length > 0) throw new Forbidden(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints`);
      await this.#o.store.deleteNetwork(n.Id);
      this.#o.emit('destroy', n.Id, { name: n.Name, type: n.Driver });
    });
  }

  async prune(filters: Filters = new Map()): Promise<NetworkPruneResponse> {
    for (const k of filters.keys()) if (!['label', 'label!', 'until'].includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
    const deleted: string[] = [];
    const labelOk = (n: NetworkRecord, v: string): boolean => {
      const [k, val] = v.split('=');
      return val === undefined ? k! in n.Labels : n.Labels[k!] === val;
    };
    const until = filters.get('until')?.[0];
    const untilMs = until === undefined ? undefined : /^\d+$/.test(until) ? Number(until) * 1000 : Date.parse(until);
    for (const n of this.#o.store.networks()) {
      if (!isUserDefined(n)) continue;
      if (!(filters.get('label') ?? []).every((v) => labelOk(n, v))) continue;
      if ((filters.get('label!') ?? []).some((v) => labelOk(n, v))) continue;
      if (untilMs !== undefined && Date.parse(n.Created) >= untilMs) continue;
      try {
        await this.remove(n.Id);
        deleted.push(n.Name);
      } catch (err) {
        if (!(messageOf(err).includes('active endpoints'))) throw err;
      }
    }
    return { NetworksDeleted: deleted.length > 0 ? deleted : null };
  }

  async connect(ref: string, req: NetworkConnectRequest): Promise<void> {
    if (typeof req.Container !== 'string' || req.Container === '') throw new InvalidParameter('no container specified');
    const n = this.#find(ref);
    const c = this.#o.containers.get(req.Container);
    if (!isUserDefined(n) && n.Driver !== 'bridge') throw new Forbidden('container cannot be disconnected from host network or connected to host network');
    const mode = c.HostConfig.NetworkMode ?? 'default';
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
      throw new Forbidden(`container sharing network namespace with another container or host cannot be connected to any other network`);
    }
    const ep = req.EndpointConfig ?? {};
    const att = this.#attachment(n, ep);
    await this.#locked(async () => {
      const { store } = this.#o;
      const s = store.container(c.ID) ?? { ContainerID: c.ID, Attachments: [] };
      if (s.Attachments.some((a) => a.NetworkID === n.Id)) throw new Forbidden(`endpoint with name ${c.Name.slice(1)} already exists in network ${n.Name}`);
      if (s.Active !== undefined && this.#o.containers.isRunning(c)) {
        const used = new Set(s.Active.Endpoints.map((e) => e.Interface));
        let i = 0;
        while (used.has(`eth${i}`)) i++;
        await this.#setUpLocked(c, s, [att], [], `eth${i}`);
      }
      s.Attachments.push(att);
      await store.saveContainer(s);
    });
    this.#o.emit('connect', n.Id, { container: c.ID, name: n.Name, type: n.Driver });
  }

  async disconnect(ref: string, req: NetworkDisconnectRequest): Promise<void> {
    if (typeof req.Container !== 'string' || req.Container === '') throw new InvalidParameter('no container specified');
    const n = this.#find(ref);
    if (n.Driver === 'host' || n.Driver === 'null') throw new Forbidden('container cannot be disconnected from host network or connected to host network');
    const c = this.#o.containers.find(req.Container);
    await this.#locked(async () => {
      const { store } = this.#o;
      const id = c?.ID ?? this.#o.store.containers().find((s) => s.ContainerID === req.Container)?.ContainerID;
      const s = id === undefined ? undefined : store.container(id);
      if (s === undefined || !s.Attachments.some((a) => a.NetworkID === n.Id)) {
        if (c === undefined) throw new NotFound(`No such container: ${req.Container}`);
        throw new Forbidden(`container ${c.ID} is not connected to network ${n.Name}`);
      }
      const ep = s.Active?.Endpoints.find((e) => e.NetworkID === n.Id);
      if (s.Active !== undefined && ep !== undefined) {
        await this.#teardownEndpoints(s, [ep], [], c?.Name.slice(1) ?? s.ContainerID);
        s.Active.Endpoints = s.Active.Endpoints.filter((e) => e !== ep);
        await this.#releaseLeases(s.ContainerID, [ep]);
      }
      s.Attachments = s.Attachments.filter((a) => a.NetworkID !== n.Id);
      await store.saveContainer(s);
    });
    this.#o.emit('disconnect', n.Id, { container: c?.ID ?? req.Container, name: n.Name, type: n.Driver });
  }

  // ---- container hooks ------------------------------------------------------------------

  #attachment(n: NetworkRecord, ep: EndpointSettings): Attachment {
    const aliases = (ep.Aliases ?? []).filter((a) => a !== '');
    if (!isUserDefined(n) && aliases.length > 0) throw new InvalidParameter('network-scoped alias is supported only for containers in user defined networks');
    const ip = ep.IPAMConfig?.IPv4Address;
    if (ip !== undefined && ip !== '') {
      if (!isUserDefined(n)) throw new InvalidParameter('user specified IP address is supported on user defined networks only');
    }
    return { NetworkID: n.Id, Aliases: aliases.length > 0 ? aliases : null, ...(ip !== undefined && ip !== '' ? { IPv4Address: ip } : {}) };
  }

  /**
   * Validates a create request's NetworkMode and EndpointsConfig and returns the attachments to
   * record once the container exists. Normalises NetworkMode (`''` → `default`) in `hc`.
   */
  attachmentsFor(hc: HostConfig, networkingConfig: unknown, hostname?: string): Attachment[] {
    hc.NetworkMode = hc.NetworkMode === undefined || hc.NetworkMode === '' ? 'default' : hc.NetworkMode;
    const mode = hc.NetworkMode;
    const endpoints = ((networkingConfig as { EndpointsConfig?: Record<string, EndpointSettings | null> } | null | undefined)?.EndpointsConfig ?? {}) as Record<string, EndpointSettings | null>;
    for (const e of hc.ExtraHosts ?? []) parseExtraHost(e, '0.0.0.0');
    // Published ports with host or none are accepted and ignored, as Docker does (nothing to publish on).
    if (mode === 'host' || mode === 'none') return [];
    if (mode.startsWith('container:')) {
      const target = mode.slice('container:'.length);
      if (target === '') throw new InvalidParameter('--network: invalid net mode: container: needs a container name or ID');
      this.#o.containers.get(target);
      if (Object.keys(hc.PortBindings ?? {}).length > 0 || hc.PublishAllPorts === true) {
        throw new InvalidParameter('conflicting options: port publishing and the container type network mode');
      }
      if ((hc.Dns ?? []).length > 0) throw new InvalidParameter('conflicting options: dns and the network mode');
      if (hostname !== undefined && hostname !== '') throw new InvalidParameter('conflicting options: hostname and the network mode');
      if ((hc.ExtraHosts ?? []).length > 0) throw new InvalidParameter('conflicting options: custom host-to-IP mapping and the network mode');
      return [];
    }
    const primaryName = mode === 'default' ? 'bridge' : mode;
    let primary: NetworkRecord;
    try {
      primary = this.#find(primaryName);
    } catch (err) {
      // As Docker: the container is created; its start says `network X not found` (a 404 from
      // create would make the docker CLI try to pull the image instead).
      if (isNotFound(err)) return [];
      throw err;
    }
    if (primary.Driver === 'host' || primary.Driver === 'null') {
      hc.NetworkMode = primary.Name;
      return [];
    }
    portRequests({ portBindings: hc.PortBindings ?? null, publishAll: false });
    // The docker CLI keys the primary endpoint by the NetworkMode as given (`default` included).
    const out: Attachment[] = [this.#attachment(primary, endpoints[mode] ?? endpoints[primary.Name] ?? endpoints[primary.Id] ?? {})];
    for (const [name, ep] of Object.entries(endpoints)) {
      if (name === mode) continue;
      const n = this.#find(name);
      if (n.Id === primary.Id) continue;
      if (n.Driver !== 'bridge') throw new InvalidParameter(`container cannot be connected to network ${n.Name} and to ${primary.Name}`);
      out.push(this.#attachment(n, ep ?? {}));
    }
    return out;
  }

  /** Records a new container's attachments (after attachmentsFor). */
  async created(id: string, attachments: Attachment[]): Promise<void> {
    if (attachments.length === 0) return;
    await this.#locked(() => this.#o.store.saveContainer({ ContainerID: id, Attachments: attachments }));
  }

  /** The container is gone: anything still set up is torn down and its state dropped. */
  async removed(c: ContainerRecord): Promise<void> {
    await this.tearDown(c);
    await this.#locked(() => this.#o.store.deleteContainer(c.ID));
  }

  async #hostResolv(): Promise<string> {
    try {
      return await readFile(this.#o.resolvConfPath ?? '/etc/resolv.conf', 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return '';
      throw err;
    }
  }

  #defaultGateway(): string | undefined {
    return this.#o.store.networks().find((n) => n.Options[DEFAULT_BRIDGE] === 'true')?.IPAM.Config[0]?.Gateway;
  }

  /**
   * Sets up the container's network before its process starts: the namespace to put in the spec
   * and the contents of its /etc/hosts and /etc/resolv.conf. Throws (nothing left set up) on failure.
   */
  async setUp(c: ContainerRecord): Promise<NetworkSetup> {
    const mode = c.HostConfig.NetworkMode ?? 'default';
    const hc = c.HostConfig;
    const hostResolv = parseResolvConf(await this.#hostResolv());
    const extraHosts = (hc.ExtraHosts ?? []).map((e) => parseExtraHost(e, this.#defaultGateway()));
    const hostname = c.Config.Hostname ?? c.ID.slice(0, 12);
    const domainname = typeof c.Config.Domainname === 'string' ? c.Config.Domainname : '';
    const resolv = (embedded?: string[]): string => resolvConfFile({ host: hostResolv, dns: hc.Dns ?? null, dnsSearch: hc.DnsSearch ?? null, dnsOptions: hc.DnsOptions ?? null, ...(embedded ? { embedded } : {}) });
    if (mode === 'host') {
      let hosts = '';
      try {
        hosts = await readFile('/etc/hosts', 'utf8');
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
      for (const h of extraHosts) hosts += `${h.ip}\t${h.name}\n`;
      return { namespace: 'host', hosts, resolvConf: resolv() };
    }
    if (mode.startsWith('container:')) {
      const target = this.#o.containers.get(mode.slice('container:'.length));
      if (!this.#o.containers.isRunning(target)) throw new Conflict(`cannot join network of a non running container: ${target.ID}`);
      const tmode = target.HostConfig.NetworkMode ?? 'default';
      const active = this.#o.store.container(target.ID)?.Active;
      const namespace: NamespaceMode = tmode === 'host' ? 'host' : { path: active?.SandboxKey ?? `/proc/${target.State.Pid}/ns/net` };
      const dir = this.#o.containers.dir(target.ID);
      const [hosts, resolvConf] = await Promise.all([readFile(join(dir, 'hosts'), 'utf8'), readFile(join(dir, 'resolv.conf'), 'utf8')]);
      return { namespace, hosts, resolvConf };
    }
    if (mode === 'none') {
      return { namespace: 'private', hosts: hostsFile({ hostname, domainname, extraHosts }), resolvConf: resolv() };
    }
    return this.#locked(async () => {
      const { store } = this.#o;
      const s = store.container(c.ID) ?? { ContainerID: c.ID, Attachments: this.attachmentsFor({ ...hc }, null) };
      if (s.Attachments.length === 0) throw new NotFound(`network ${mode} not found`);
      if (s.Active !== undefined) await this.#tearDownLocked(s, c.Name.slice(1)); // left over from a crash
      const reqs = portRequests({ portBindings: hc.PortBindings ?? null, exposedPorts: c.Config.ExposedPorts ?? null, publishAll: hc.PublishAllPorts === true });
      const active = await this.#setUpLocked(c, s, s.Attachments, reqs, undefined);
      const first = active.Endpoints[0];
      const primary = first === undefined ? undefined : store.network(first.NetworkID);
      const embedded = primary !== undefined && isUserDefined(primary) && first !== undefined ? [first.Gateway] : undefined;
      return {
        namespace: { path: active.SandboxKey },
        hosts: hostsFile({ hostname, domainname, ip: first?.IPAddress ?? '', extraHosts }),
        resolvConf: resolv(embedded),
      };
    });
  }

  /**
   * Sets up `atts` for a container (all of them at start, one at connect): leases and ports
   * persisted first, then netns and netavark. On failure everything this call did is undone.
   */
  async #setUpLocked(c: ContainerRecord, s: ContainerNetworkState, atts: readonly Attachment[], portReqs: ReturnType<typeof portRequests>, iface: string | undefined): Promise<ActiveNetwork> {
    const { store } = this.#o;
    const fresh = s.Active === undefined;
    const name = c.Name.slice(1);
    const endpoints: Endpoint[] = [];
    const nets = atts.map((a) => {
      const n = store.network(a.NetworkID);
      if (n === undefined) throw new NotFound(`network ${a.NetworkID} not found`);
      return n;
    });
    const inUse = store.containers().filter((x) => x.ContainerID !== c.ID).flatMap((x) => x.Active?.Ports ?? []);
    const firstEndpointId = randomId();
    let ports;
    try {
      ports = await allocatePorts(portReqs, inUse);
    } catch (err) {
      throw new Forbidden(`driver failed programming external connectivity on endpoint ${name} (${firstEndpointId}): ${messageOf(err)}`, { cause: err });
    }
    const used = new Set((s.Active?.Endpoints ?? []).map((e) => e.Interface));
    let next = 0;
    for (let i = 0; i < atts.length; i++) {
      const a = atts[i]!;
      const n = nets[i]!;
      const cfg = n.IPAM.Config[0]!;
      const ip = allocateIp({ config: cfg, leases: store.leases(n.Id), containerId: c.ID, ...(a.IPv4Address !== undefined ? { requested: a.IPv4Address } : {}), networkName: n.Name, networkId: n.Id });
      await store.setLeases(n.Id, { ...store.leases(n.Id), [ip]: c.ID });
      let ifname = iface;
      if (ifname === undefined) {
        while (used.has(`eth${next}`)) next++;
        ifname = `eth${next}`;
        used.add(ifname);
      }
      endpoints.push({
        NetworkID: n.Id, EndpointID: i === 0 ? firstEndpointId : randomId(), Interface: ifname, IPAddress: ip,
        IPPrefixLen: parseSubnet(cfg.Subnet).bits, Gateway: cfg.Gateway ?? '', MacAddress: '',
        DNSNames: isUserDefined(n) ? [name, c.ID.slice(0, 12), ...(a.Aliases ?? [])] : null,
      });
    }
    const active: ActiveNetwork = s.Active ?? { SandboxKey: join(this.#o.execRoot, 'netns', c.ID), SandboxID: randomId(), Ports: [], Endpoints: [] };
    active.Endpoints = [...active.Endpoints, ...endpoints];
    active.Ports = [...active.Ports, ...ports];
    s.Active = active;
    // Persisted before anything exists on the host: a crash from here on is undone by reconcile.
    await store.saveContainer(s);
    try {
      if (fresh) await createNetns(active.SandboxKey);
      if (endpoints.length > 0) {
        const status = await this.#o.netavark.setup({
          containerId: c.ID, containerName: name, netns: active.SandboxKey, ports,
          attachments: this.#netavarkAttachments(endpoints),
        });
        for (const e of endpoints) {
          const n = store.network(e.NetworkID)!;
          e.MacAddress = status[netavarkName(n)]?.interfaces?.[e.Interface]?.mac_address ?? '';
        }
      }
      await store.saveContainer(s);
    } catch (err) {
      await this.#teardownEndpoints(s, endpoints, ports, name).catch((e: unknown) => this.#o.logger.warn('network: undoing a failed setup', { id: c.ID, err: messageOf(e) }));
      active.Endpoints = active.Endpoints.filter((e) => !endpoints.includes(e));
      active.Ports = active.Ports.filter((p) => !ports.includes(p));
      if (fresh) {
        await removeNetns(active.SandboxKey);
        delete s.Active;
      }
      await this.#releaseLeases(c.ID, endpoints);
      await store.saveContainer(s);
      throw err;
    }
    for (const e of endpoints) this.#o.emit('connect', e.NetworkID, { container: c.ID, name: store.network(e.NetworkID)?.Name ?? '', type: 'bridge' });
    return active;
  }

  #netavarkAttachments(endpoints: readonly Endpoint[]): NetavarkAttachment[] {
    const out: NetavarkAttachment[] = [];
    for (const e of endpoints) {
      const n = this.#o.store.network(e.NetworkID);
      if (n === undefined) continue;
      out.push({ network: n, ip: e.IPAddress, interfaceName: e.Interface, aliases: e.DNSNames ?? [] });
    }
    return out;
  }

  async #teardownEndpoints(s: ContainerNetworkState, endpoints: readonly Endpoint[], ports: readonly PortMapping[], name: string): Promise<void> {
    const active = s.Active;
    if (active === undefined || endpoints.length === 0) return;
    // netavark opens the namespace even to remove rules: after a reboot the file is gone, so a blank one stands in.
    if (!existsSync(active.SandboxKey)) await createNetns(active.SandboxKey);
    await this.#o.netavark.teardown({ containerId: s.ContainerID, containerName: name, netns: active.SandboxKey, ports, attachments: this.#netavarkAttachments(endpoints) });
  }

  async #releaseLeases(containerId: string, endpoints: readonly Endpoint[]): Promise<void> {
    for (const e of endpoints) {
      const leases = { ...this.#o.store.leases(e.NetworkID) };
      if (leases[e.IPAddress] !== containerId) continue;
      delete leases[e.IPAddress];
      if (this.#o.store.network(e.NetworkID) !== undefined) await this.#o.store.setLeases(e.NetworkID, leases);
    }
  }

  /** Undoes setUp after the container's process ended (or its start failed). Idempotent. */
  async tearDown(c: ContainerRecord): Promise<void> {
    await this.#locked(async () => {
      const s = this.#o.store.container(c.ID);
      if (s?.Active !== undefined) await this.#tearDownLocked(s, c.Name.slice(1));
    });
  }

  async #tearDownLocked(s: ContainerNetworkState, name: string): Promise<void> {
    const active = s.Active;
    if (active === undefined) return;
    try {
      await this.#teardownEndpoints(s, active.Endpoints, active.Ports, name);
    } catch (err) {
      // Teardown goes on: the namespace and leases must go even when netavark found nothing to remove.
      this.#o.logger.warn('network: netavark teardown', { id: s.ContainerID, err: messageOf(err) });
    }
    await removeNetns(active.SandboxKey);
    await this.#releaseLeases(s.ContainerID, active.Endpoints);
    delete s.Active;
    await this.#o.store.saveContainer(s);
    for (const e of active.Endpoints) this.#o.emit('disconnect', e.NetworkID, { container: s.ContainerID, name: this.#o.store.network(e.NetworkID)?.Name ?? '', type: 'bridge' });
  }

  // ---- views for container inspect and ps -----------------------------------------------

  /** NetworkSettings of container inspect (Docker's shape). */
  settings(c: ContainerRecord): Record<string, unknown> {
    const s = this.#o.store.container(c.ID);
    const active = this.#o.containers.isRunning(c) ? s?.Active : undefined;
    const mode = c.HostConfig.NetworkMode ?? 'default';
    const networks: Record<string, unknown> = {};
    let primary: Endpoint | undefined;
    const endpointJson = (a: Attachment | undefined, n: NetworkRecord, e: Endpoint | undefined): unknown => ({
      IPAMConfig: a?.IPv4Address !== undefined ? { IPv4Address: a.IPv4Address } : null,
      Links: null,
      Aliases: a?.Aliases ?? null,
      MacAddress: e?.MacAddress ?? '',
      DriverOpts: null,
      NetworkID: e !== undefined || n.Driver !== 'bridge' ? n.Id : '',
      EndpointID: e?.EndpointID ?? '',
      Gateway: e?.Gateway ?? '',
      IPAddress: e?.IPAddress ?? '',
      IPPrefixLen: e?.IPPrefixLen ?? 0,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DNSNames: e?.DNSNames ?? null,
    });
    if (mode === 'host' || mode === 'none') {
      networks[mode] = endpointJson(undefined, this.#byName(mode), undefined);
    }
    for (const a of s?.Attachments ?? []) {
      const n = this.#o.store.network(a.NetworkID);
      if (n === undefined) continue;
      const e = active?.Endpoints.find((x) => x.NetworkID === n.Id);
      if (n.Options[DEFAULT_BRIDGE] === 'true') primary = e;
      networks[n.Name] = endpointJson(a, n, e);
    }
    return {
      Bridge: '',
      SandboxID: active?.SandboxID ?? '',
      SandboxKey: active?.SandboxKey ?? '',
      Ports: active !== undefined ? portMap(c.Config.ExposedPorts ?? null, active.Ports) : {},
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: primary?.EndpointID ?? '',
      Gateway: primary?.Gateway ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: primary?.IPAddress ?? '',
      IPPrefixLen: primary?.IPPrefixLen ?? 0,
      IPv6Gateway: '',
      MacAddress: primary?.MacAddress ?? '',
      Networks: networks,
    };
  }

  /** `ps --filter network=…`: attached to a network with one of these names or IDs (prefixes too). */
  onNetwork(c: ContainerRecord, refs: readonly string[]): boolean {
    const mode = c.HostConfig.NetworkMode ?? 'default';
    const nets = (this.#o.store.container(c.ID)?.Attachments ?? []).map((a) => this.#o.store.network(a.NetworkID)).filter((n) => n !== undefined);
    if (mode === 'host' || mode === 'none') nets.push(this.#byName(mode));
    return refs.some((r) => nets.some((n) => n.Name === r || (r !== '' && n.Id.startsWith(r))));
  }

  /** `Ports` and `NetworkSettings` of a container summary. */
  summary(c: ContainerRecord): { Ports: unknown[]; NetworkSettings: { Networks: Record<string, unknown> } } {
    const s = this.#o.store.container(c.ID);
    const active = this.#o.containers.isRunning(c) ? s?.Active : undefined;
    const full = this.settings(c);
    return {
      // Docker lists ports of running containers only.
      Ports: active === undefined ? [] : summaryPorts(c.Config.ExposedPorts ?? null, active.Ports),
      NetworkSettings: { Networks: full.Networks as Record<string, unknown> },
    };
  }
}
