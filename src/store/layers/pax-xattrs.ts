/**
 * Exact bytes of PAX `SCHILY.xattr.*` records.
 *
 * tar-stream decodes PAX values as UTF-8, which mangles binary attributes such as
 * `security.capability`. This index follows the tar framing of the same uncompressed bytes that
 * tar-stream parses (fed in first, chunk by chunk) and keeps each entry's xattrs as raw bytes,
 * keyed by the byte offset of the entry's header, which tar-stream reports as `entry.offset`.
 * Its framing mirrors tar-stream's (sizes, PAX `size`, directories carry no data), so that both
 * agree on where each header starts; scan.ts checks the keys against tar-stream's own PAX view.
 */

const BLOCK = 512;
const XATTR_PREFIX = 'SCHILY.xattr.';
/** tar-stream refuses larger PAX headers; past it the index stops (tar-stream fails the archive). */
const MAX_PAX = 4 * 1024 * 1024;

export class PaxXattrIndex {
  #pos = 0;
  #skip = 0;
  readonly #header = Buffer.alloc(BLOCK);
  #headerFill = 0;
  #pax: Buffer[] = [];
  #paxRemaining = 0;
  #paxPadding = 0;
  #pending: { xattrs: Map<string, Buffer>; size: number | undefined } | undefined;
  #broken = false;
  readonly #byOffset = new Map<number, Map<string, Buffer>>();

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && !this.#broken) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
      } else if (this.#paxRemaining > 0) {
        const n = Math.min(this.#paxRemaining, chunk.length - i);
        this.#pax.push(Buffer.from(chunk.subarray(i, i + n)));
        this.#paxRemaining -= n;
        i += n;
        if (this.#paxRemaining === 0) this.#endPax();
      } else {
        const n = Math.min(BLOCK - this.#headerFill, chunk.length - i);
        this.#header.set(chunk.subarray(i, i + n), this.#headerFill);
        this.#headerFill += n;
        i += n;
        if (this.#headerFill === BLOCK) {
          this.#headerFill = 0;
          this.#onHeader(this.#pos + i - BLOCK);
        }
      }
    }
    this.#pos += chunk.length;
  }

  /** The raw xattrs of the entry whose header starts at `offset`, removed from the index. */
  take(offset: number): Map<string, Buffer> | undefined {
    const found = this.#byOffset.get(offset);
    this.#byOffset.delete(offset);
    return found;
  }

  #onHeader(offset: number): void {
    const h = this.#header;
    if (isNullHeader(h)) return;
    const type = h[156] ?? 0;
    const size = decodeNumber(h.subarray(124, 136));
    if (!(size >= 0) || size > Number.MAX_SAFE_INTEGER) {
      this.#broken = true;
      return;
    }
    switch (type) {
      case 0x78: // 'x': PAX header for the next entry
        if (size > MAX_PAX) {
          this.#broken = true;
          return;
        }
        this.#pax = [];
        this.#paxRemaining = size;
        this.#paxPadding = padding(size);
        if (size === 0) this.#endPax();
        return;
      case 0x67: // 'g': global PAX header; Go's reader does not apply its xattrs to entries
      case 0x4c: // 'L': GNU long name
      case 0x4b: // 'K': GNU long link name
        this.#skip = size + padding(size);
        return;
    }
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined && pending.xattrs.size > 0) this.#byOffset.set(offset, pending.xattrs);
    const dataSize = pending?.size ?? size;
    if (isDirectory(h)) return;
    this.#skip = dataSize + padding(dataSize);
  }

  #endPax(): void {
    const records = parsePax(Buffer.concat(this.#pax));
    this.#pax = [];
    const xattrs = new Map<string, Buffer>();
    let size: number | undefined;
    for (const [key, value] of records) {
      if (key.startsWith(XATTR_PREFIX)) xattrs.set(key.slice(XATTR_PREFIX.length), value);
      else if (key === 'size' && value.length > 0) size = parseInt(value.toString('latin1'), 10);
    }
    this.#pending = { xattrs, size };
    this.#skip = this.#paxPadding;
  }
}

function padding(size: number): number {
  const rem = size % BLOCK;
  return rem === 0 ? 0 : BLOCK - rem;
}

/** tar-stream treats a header whose checksum field is the only non-zero part as absent. */
function isNullHeader(h: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) {
    if ((i < 148 || i >= 156) && h[i] !== 0) return false;
  }
  return true;
}

/**
 * tar-stream reads no data for directories (typeflag '5') only. It does not apply its own
 * "old-style directory" rule (typeflag 0 and a name ending in '/') to the type it reports.
 */
function isDirectory(h: Buffer): boolean {
  return h[156] === 0x35;
}

/** Numeric header field: octal text, or base-256 when the high bit of the first byte is set. */
function decodeNumber(field: Buffer): number {
  const first = field[0] ?? 0;
  if ((first & 0x80) !== 0) {
    let value = first & 0x7f;
    if ((first & 0x40) !== 0) return -1; // negative: invalid as a size
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    return value;
  }
  const text = field.toString('latin1').replace(/^[ \0]+/, '');
  const end = text.search(/[ \0]/);
  const digits = end < 0 ? text : text.slice(0, end);
  return digits === '' ? 0 : parseInt(digits, 8);
}

/** PAX records `"<len> <key>=<value>\n"`, values kept as bytes. */
function parsePax(buf: Buffer): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  while (buf.length > 0) {
    const space = buf.indexOf(0x20);
    if (space < 0) break;
    const len = parseInt(buf.subarray(0, space).toString('latin1'), 10);
    if (!(len > space + 1) || len > buf.length) break;
    const record = buf.subarray(space + 1, len - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) break;
    out.push([record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1))]);
    buf = buf.subarray(len);
  }
  return out;
}
