/**
 * Writing extended attributes into a tar as Go's archive/tar (and so Docker) does: PAX records
 * `SCHILY.xattr.<name>=<raw bytes>` in an extended header before the entry. tar-stream's own PAX
 * support writes values as UTF-8 text, which mangles binary values such as a file capability,
 * and its Pack takes no body for an entry that is not a file, so the extended header is built
 * here, byte for byte, and pushed into the pack's output between two entries.
 */
import type { Pack } from 'tar-stream';

export type TarHeader = Parameters<Pack['entry']>[0];

export const PAX_XATTR_PREFIX = 'SCHILY.xattr.';

/** Where ustar's fields end; past them (or with non-ASCII text) a name needs a PAX record. */
const USTAR_NAME_MAX = 100;

/** One `"<len> <key>=<value>\n"` record; `len` counts the whole record, its own digits included. */
export function paxRecord(key: string, value: Uint8Array): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len++;
  return Buffer.concat([Buffer.from(String(len)), rest]);
}

const fitsUstar = (s: string): boolean => s.length <= USTAR_NAME_MAX && /^[\x01-\x7f]*$/.test(s);

/** An ASCII stand-in for a ustar field whose real value is in the PAX header (Go writes one too). */
const placeholder = (s: string): string => s.replace(/[^\x20-\x7e]/g, '_').slice(-(USTAR_NAME_MAX - 1));

/** A ustar header block for a PAX extended header ('x') of `size` bytes. */
function paxHeaderBlock(size: number, mtime: Date): Buffer {
  const h = Buffer.alloc(BLOCK);
  const octal = (n: number, width: number): string => `${n.toString(8).padStart(width - 1, '0')}\0`;
  h.write('PaxHeader', 0);
  h.write(octal(0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(Math.max(0, Math.floor(mtime.getTime() / 1000)), 12), 136);
  h.write('x', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  // The checksum is summed with its own field as spaces.
  h.write('        ', 148);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const BLOCK = 512;

/**
 * Writes into `p` a PAX extended header with `xattrs` (and, when they do not fit ustar, the
 * entry's path and link target: a reader keeps only the last extended header before an entry)
 * and returns the header to queue next with `p.entry`. Without xattrs it writes nothing and
 * returns `header` as it is. Call it only when every earlier entry of `p` has finished (its
 * callback ran or its stream ended): the bytes go straight into the pack's output.
 */
export function withXattrs(p: Pack, header: TarHeader, xattrs: ReadonlyMap<string, Uint8Array> | undefined): TarHeader {
  if (xattrs === undefined || xattrs.size === 0) return header;
  const records: Buffer[] = [];
  const out = { ...header };
  if (!fitsUstar(header.name)) {
    records.push(paxRecord('path', Buffer.from(header.name)));
    out.name = placeholder(header.name);
  }
  if (header.linkname !== undefined && header.linkname !== '' && !fitsUstar(header.linkname)) {
    records.push(paxRecord('linkpath', Buffer.from(header.linkname)));
    out.linkname = placeholder(header.linkname);
  }
  for (const [name, value] of [...xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) records.push(paxRecord(PAX_XATTR_PREFIX + name, value));
  p.push(paxExtendedHeader(records, header.mtime ?? new Date(0)));
  return out;
}

/** A whole PAX extended header ('x') entry for `records` (see paxRecord): its block, the records, the padding. */
export function paxExtendedHeader(records: readonly Buffer[], mtime = new Date(0)): Buffer {
  const body = Buffer.concat(records);
  return Buffer.concat([paxHeaderBlock(body.length, mtime), body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK)]);
}
