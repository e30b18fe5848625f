/**
 * The network side's records. A network is kept in Docker's inspect shape (so inspect is a
 * copy) plus the name of its Linux bridge. A container's network state has two parts: what it
 * asked for (its attachments, kept while the container exists) and, while it runs, what was
 * set up for it (netns, addresses, published ports), which teardown needs even after a crash.
 */

export interface IpamConfig {
  Subnet: string;
  Gateway?: string;
  IPRange?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  /** bridge, host or null (none). */
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** The Linux bridge (bridge driver only); not part of Docker's shape. */
  BridgeName?: string;
}

/** One network a container is attached to, as asked for (EndpointsConfig). */
export interface Attachment {
  NetworkID: string;
  Aliases: string[] | null;
  /** `--ip`: a static IPv4 address. */
  IPv4Address?: string;
}

/** A published port: Docker's PortBinding after host ports were chosen. */
export interface PortMapping {
  protocol: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  /** '' for every address. */
  hostIp: string;
  hostPort: number;
}

/** One attachment that is set up (netavark ran for it). */
export interface Endpoint {
  NetworkID: string;
  EndpointID: string;
  Interface: string;
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  /** Names other containers resolve (name, short ID, aliases); user-defined networks only. */
  DNSNames: string[] | null;
}

export interface ActiveNetwork {
  /** The bind-mounted network namespace (under the exec root). */
  SandboxKey: string;
  SandboxID: string;
  Ports: PortMapping[];
  Endpoints: Endpoint[];
}

export interface ContainerNetworkState {
  ContainerID: string;
  Attachments: Attachment[];
  Active?: ActiveNetwork;
}
