/**
 * The netavark driver: `netavark setup|teardown <netns>` with podman's network options JSON on
 * stdin (netavark's NetworkOptions: container id and name, port mappings, per-network static
 * addresses and aliases, and the networks themselves). netavark makes the bridge, the veth pair,
 * the firewall rules (NAT, port forwarding) and starts aardvark-dns for DNS-enabled networks;
 * it removes the bridge and the network's rules when its last container is torn down.
 *
 * Calls are serialised: netavark edits shared firewall chains and aardvark's config files.
 */
import { mkdir } from 'node:fs/promises';
import { System } from '../errdefs/index.js';
import { execCommand, type ExecError } from '../util/exec.js';
import { KeyedMutex } from '../util/mutex.js';
import type { NetworkRecord, PortMapping } from './types.js';

export interface NetavarkAttachment {
  network: NetworkRecord;
  ip: string;
  interfaceName: string;
  aliases: string[];
}

export interface NetavarkRequest {
  containerId: string;
  containerName: string;
  netns: string;
  ports: readonly PortMapping[];
  attachments: readonly NetavarkAttachment[];
}

/** netavark's StatusBlock per network: the interfaces it made and their addresses. */
export interface NetavarkStatus {
  interfaces?: Record<string, { mac_address: string; subnets?: Array<{ ipnet: string; gateway?: string }> }>;
  dns_server_ips?: string[];
}

export interface NetavarkOptions {
  binary: string;
  aardvarkBinary: string;
  /** netavark's `--config`: where aardvark-dns keeps its per-network files (under the exec root). */
  configDir: string;
}

/**
 * The name netavark knows a network by. netavark derives its firewall chain names from it, so it
 * must be unique on the host: Docker names (`bridge` in every daemon) are not; IDs are.
 */
export function netavarkName(n: NetworkRecord): string {
  return `estiba-${n.Id.slice(0, 16)}`;
}

export function networkOptions(r: Omit<NetavarkRequest, 'netns'>): unknown {
  const networks: Record<string, unknown> = {};
  const info: Record<string, unknown> = {};
  for (const a of r.attachments) {
    const n = a.network;
    const name = netavarkName(n);
    networks[name] = { static_ips: [a.ip], aliases: a.aliases, interface_name: a.interfaceName };
    info[name] = {
      name,
      id: n.Id,
      driver: 'bridge',
      network_interface: n.BridgeName,
      subnets: n.IPAM.Config.map((c) => ({ subnet: c.Subnet, gateway: c.Gateway })),
      ipv6_enabled: false,
      internal: n.Internal,
      // Docker resolves container names on user-defined networks only, never on the default bridge.
      dns_enabled: n.Options['com.docker.network.bridge.default_bridge'] !== 'true',
      ipam_options: { driver: 'host-local' },
      ...(n.Options['com.docker.network.driver.mtu'] !== undefined ? { options: { mtu: n.Options['com.docker.network.driver.mtu'] } } : {}),
    };
  }
  return {
    container_id: r.containerId,
    container_name: r.containerName,
    port_mappings: r.ports.map((p) => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol })),
    networks,
    network_info: info,
  };
}

export class Netavark {
  readonly #o: NetavarkOptions;
  readonly #lock = new KeyedMutex();

  constructor(o: NetavarkOptions) {
    this.#o = o;
  }

  async setup(r: NetavarkRequest): Promise<Record<string, NetavarkStatus>> {
    const out = await this.#run('setup', r);
    try {
      return JSON.parse(out) as Record<string, NetavarkStatus>;
    } catch (err) {
      throw new System(`netavark setup: unexpected output: ${out.slice(0, 200)}`, { cause: err });
    }
  }

  async teardown(r: NetavarkRequest): Promise<void> {
    await this.#run('teardown', r);
  }

  #run(verb: 'setup' | 'teardown', r: NetavarkRequest): Promise<string> {
    return this.#lock.run('netavark', async () => {
      // netavark fails half-way (bridge made, aardvark not) when its config dir is missing.
      await mkdir(this.#o.configDir, { recursive: true });
      const args = ['--config', this.#o.configDir, '--rootless', 'false', '--aardvark-binary', this.#o.aardvarkBinary, verb, r.netns];
      // aardvark-dns, which netavark forks, detaches onto /dev/null: the pipes close with netavark.
      try {
        return (await execCommand(this.#o.binary, args, { input: JSON.stringify(networkOptions(r)) })).stdout;
      } catch (e) {
        const err = e as ExecError;
        if (typeof err.code !== 'number') throw new System(`netavark ${verb}: ${err.message}`, { cause: err });
        let msg = err.stderr.split('\n').filter((l) => l !== '' && !l.includes('failed to connect to syslog')).join('; ');
        try {
          msg = (JSON.parse(err.stdout) as { error?: string }).error ?? msg;
        } catch (parseErr) {
          void parseErr; // netavark prints its error as JSON on stdout; anything else is shown raw.
        }
        throw new System(`netavark ${verb}: ${msg || `exit status ${err.code}`}`, { cause: err });
      }
    });
  }
}
