import { ByteReader } from './byte-reader';
import { openBytes } from './byte-source';
import { parseJsonAt, toClientEntry } from './client-entry';
import { groupFieldsAt } from './group-fields';
import { GROUP_KEY, SourceError, type ClientEntry, type SourceCursor, type SourceRef } from '../../contract/sources';

// The original script's client_file.json: [ {"ClientList": [ {"ClientId": …}, … ], …}, … ].
// stream-json reports no byte offsets, so this scanner walks the structure (strings and nesting only)
// and JSON.parse checks each value. Every client yields a cursor that resumes right after it.

const CH = { '[': 0x5b, ']': 0x5d, '{': 0x7b, '}': 0x7d, ',': 0x2c, ':': 0x3a, '"': 0x22 } as const;

type State =
  | 'top-start'
  | 'top-elem-first'
  | 'top-elem'
  | 'top-next'
  | 'outer-key-first'
  | 'outer-key'
  | 'outer-next'
  | 'list-first'
  | 'list-elem'
  | 'list-next';

export interface ScannedClient {
  entry: ClientEntry;
  /** Resumes right after this client. */
  after: SourceCursor;
}

/** Yields every client of a seed-format file from `cursor` on. Throws SourceError naming the place of a fault. */
export async function* scanSeedJson(source: SourceRef, cursor: SourceCursor): AsyncGenerator<ScannedClient> {
  const reader = new ByteReader(await openBytes(source, cursor.offset), cursor.offset);
  const scanner = new SeedScanner(reader, cursor, source);
  try {
    for (;;) {
      const step = await scanner.step();
      if (step === 'end') return;
      if (step) yield step;
    }
  } finally {
    scanner.close();
  }
}

/** The scanner's walk through the file, one state at a time; each state reads what it expects next. */
class SeedScanner {
  private state: State;
  private group: number;
  private position: number;
  /** Where the enclosing object opens: its fields are looked up there when the batch names them. */
  private groupAt: number | undefined;

  constructor(
    private readonly r: ByteReader,
    cursor: SourceCursor,
    private readonly source: SourceRef,
  ) {
    this.state = (cursor.state as State | undefined) ?? 'top-start';
    this.group = cursor.group ?? -1;
    this.position = cursor.position;
    this.groupAt = cursor.groupAt;
  }

  close(): void {
    this.r.close();
  }

  /** One state's step: a client, the end of the file, or nothing yet. */
  async step(): Promise<ScannedClient | 'end' | undefined> {
    const b = await this.r.skipWhitespace();
    switch (this.state) {
      case 'top-start':
        return this.topStart(b);
      case 'top-elem-first':
      case 'top-next':
        return this.topNext(b);
      case 'top-elem':
        return this.topElem(b);
      case 'outer-key-first':
      case 'outer-key':
        return this.outerKey(b);
      case 'outer-next':
        return this.outerNext(b);
      case 'list-first':
      case 'list-next':
        return this.listNext(b);
      case 'list-elem':
        return this.listElem(b);
    }
  }

  private at(): string {
    return `byte ${this.r.offset}${this.group >= 0 ? `, object #${this.group + 1}` : ''}`;
  }

  private async expect(what: string): Promise<never> {
    const b = await this.r.peek();
    throw new SourceError(
      b < 0
        ? `${this.at()}: the file ends early (truncated JSON?); expected ${what}`
        : `${this.at()}: expected ${what}, found '${String.fromCharCode(b)}'`,
    );
  }

  private async topStart(b: number): Promise<undefined> {
    if (b < 0) throw new SourceError('the file is empty; it should be a JSON array of objects with a ClientList');
    if (b !== CH['['])
      throw new SourceError(
        `${this.at()}: the top level must be a JSON array of objects with a ClientList (the original script's client_file.json shape)`,
      );
    await this.r.next();
    this.state = 'top-elem-first';
    return undefined;
  }

  private async topNext(b: number): Promise<'end' | undefined> {
    if (b === CH[']']) {
      await this.r.next();
      if ((await this.r.skipWhitespace()) >= 0)
        throw new SourceError(`${this.at()}: unexpected data after the closing ']'`);
      return 'end';
    }
    if (this.state === 'top-next') {
      if (b !== CH[',']) await this.expect("',' or ']' between objects");
      await this.r.next();
    }
    this.state = 'top-elem';
    return undefined;
  }

  private async topElem(b: number): Promise<undefined> {
    this.group++;
    if (b === CH['{']) {
      this.groupAt = this.r.offset;
      await this.r.next();
      this.state = 'outer-key-first';
      return undefined;
    }
    if (b < 0) await this.expect('an object');
    parseJsonAt(await this.r.captureValue(), this.at()); // not an object: skipped, as the original script does, but must be JSON
    this.state = 'top-next';
    return undefined;
  }

  private async outerKey(b: number): Promise<undefined> {
    if (this.state === 'outer-key-first' && b === CH['}']) {
      await this.r.next();
      this.state = 'top-next';
      return undefined;
    }
    if (b !== CH['"']) await this.expect('a quoted key');
    const key = parseJsonAt(await this.r.captureValue(), this.at());
    if ((await this.r.skipWhitespace()) !== CH[':']) await this.expect("':' after a key");
    await this.r.next();
    const v = await this.r.skipWhitespace();
    if (key === 'ClientList') {
      if (v !== CH['[']) throw new SourceError(`${this.at()}: ClientList must be an array of clients`);
      await this.r.next();
      this.state = 'list-first';
    } else {
      if (v < 0) await this.expect('a value');
      parseJsonAt(await this.r.captureValue(), this.at());
      this.state = 'outer-next';
    }
    return undefined;
  }

  private async outerNext(b: number): Promise<undefined> {
    if (b === CH['}']) this.state = 'top-next';
    else if (b === CH[',']) this.state = 'outer-key';
    else await this.expect("',' or '}' in an object");
    await this.r.next();
    return undefined;
  }

  private async listNext(b: number): Promise<undefined> {
    if (b === CH[']']) {
      await this.r.next();
      this.state = 'outer-next';
      return undefined;
    }
    if (this.state === 'list-next') {
      if (b !== CH[',']) await this.expect("',' or ']' between clients");
      await this.r.next();
    }
    this.state = 'list-elem';
    return undefined;
  }

  private async listElem(b: number): Promise<ScannedClient> {
    if (b < 0) await this.expect('a client');
    const where = `${this.at()} (client #${this.position + 1})`;
    const entry = toClientEntry(parseJsonAt(await this.r.captureValue(), where), this.position, where);
    if (this.source.groupFields && this.groupAt !== undefined)
      entry.record = { ...entry.record, [GROUP_KEY]: await groupFieldsAt(this.source, this.groupAt) };
    this.position++;
    this.state = 'list-next';
    const { group, groupAt } = this;
    return { entry, after: { offset: this.r.offset, position: this.position, state: this.state, group, groupAt } };
  }
}
