/**
 * A container's mount point as its record keeps it (moby volume/mounts.MountPoint): binds,
 * volumes and `--mount type=tmpfs`, keyed by destination in ContainerRecord.MountPoints.
 */
export interface MountPointRecord {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** The volume's name (volume mounts only). */
  Name?: string;
  /** Host path: the bind source or the volume's data directory; '' for tmpfs. */
  Source: string;
  Destination: string;
  /** The volume driver (volume mounts only). */
  Driver?: string;
  RW: boolean;
  /** The mode as `-v` gave it (`ro`, `z`, `rw,rshared`); Docker reports `z` for local volumes without one. */
  Mode: string;
  /** Bind propagation (`rprivate` by default for binds; '' for volumes and tmpfs). */
  Propagation: string;
  /** Fill an empty volume with the image's content at the destination when the container starts. */
  CopyData: boolean;
  /** The user named the volume (`-v name:/x`, `--mount source=name`): `rm -v` keeps it. */
  Named: boolean;
  /** A `--mount type=bind` source must exist (a `-v` one is created). */
  MustExist?: boolean;
  NonRecursive?: boolean;
  /** A directory inside the volume to mount instead of its root (`--mount volume-subpath=`). */
  Subpath?: string;
  /** tmpfs mount data (`size=64m,mode=1777`). */
  Data?: string;
}
