import { createReadStream } from 'node:fs';

/**
 * Pulls bytes from a file starting at a byte offset, tracking the absolute offset of every byte,
 * so a reader can hand back a cursor that the next page starts from without re-reading.
 * It awaits only at chunk boundaries; the byte loop itself stays synchronous.
 */
export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private base: number;
  private readonly iterator: AsyncIterator<Buffer>;
  private ended = false;

  constructor(
    private readonly stream: NodeJS.ReadableStream & { destroy(): void },
    start: number,
  ) {
    this.base = start;
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  static fromFile(path: string, start: number, highWaterMark = 256 * 1024): ByteReader {
    return new ByteReader(createReadStream(path, { start, highWaterMark }), start);
  }

  /** The absolute offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Makes at least one byte available; false at end of input. */
  async fill(): Promise<boolean> {
    while (this.pos >= this.buf.length) {
      if (this.ended) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      this.base += this.buf.length;
      this.buf = next.value;
      this.pos = 0;
    }
    return true;
  }

  /** The next byte without consuming it; -1 at end. */
  async peek(): Promise<number> {
    return (await this.fill()) ? this.buf[this.pos]! : -1;
  }

  /** Consumes and returns the next byte; -1 at end. */
  async next(): Promise<number> {
    return (await this.fill()) ? this.buf[this.pos++]! : -1;
  }

  /** Skips JSON/CSV whitespace and returns the next byte (unconsumed), or -1. */
  async skipWhitespace(): Promise<number> {
    for (;;) {
      if (!(await this.fill())) return -1;
      const b = this.buf[this.pos]!;
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
      this.pos++;
    }
  }

  /** Reads up to and including the next '\n' (or to end); undefined at end of input. */
  async readLine(): Promise<Buffer | undefined> {
    const parts: Buffer[] = [];
    for (;;) {
      if (!(await this.fill())) return parts.length ? Buffer.concat(parts) : undefined;
      const nl = this.buf.indexOf(0x0a, this.pos);
      if (nl >= 0) {
        parts.push(this.buf.subarray(this.pos, nl + 1));
        this.pos = nl + 1;
        return Buffer.concat(parts);
      }
      parts.push(this.buf.subarray(this.pos));
      this.pos = this.buf.length;
    }
  }

  /**
   * Consumes one complete JSON value (object, array, string or scalar) and returns its bytes,
   * tracking only strings and nesting; JSON.parse then checks the bytes for real.
   */
  async captureValue(keep = true): Promise<Buffer> {
    const parts: Buffer[] = [];
    let depth = 0;
    let inString = false;
    let escaped = false;
    let started = false;
    for (;;) {
      if (!(await this.fill())) break;
      const buf = this.buf;
      let i = this.pos;
      let done = false;
      for (; i < buf.length; i++) {
        const b = buf[i]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (b === 0x5c) escaped = true;
          else if (b === 0x22) {
            inString = false;
            if (depth === 0) {
              i++;
              done = true;
              break;
            }
          }
          continue;
        }
        if (b === 0x22) inString = true;
        else if (b === 0x7b || b === 0x5b) depth++;
        else if (b === 0x7d || b === 0x5d) {
          if (depth === 0) {
            done = true; // a scalar ended by the enclosing container
            break;
          }
          depth--;
          if (depth === 0) {
            i++;
            done = true;
            break;
          }
        } else if (depth === 0 && started && (b === 0x2c || b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
          done = true; // a scalar ended by ',' or whitespace
          break;
        }
        started = true;
      }
      if (keep) parts.push(buf.subarray(this.pos, i));
      this.pos = i;
      if (done) break;
    }
    return Buffer.concat(parts);
  }

  /** Consumes one complete JSON value without keeping it: a ClientList of millions costs no memory. */
  async skipValue(): Promise<void> {
    await this.captureValue(false);
  }

  close(): void {
    this.stream.destroy();
  }
}
