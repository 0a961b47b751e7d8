import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** A run of Yjs ids: `len` clocks of `client` from `clock`. */
export type IdRange = [client: number, clock: number, len: number];

/** What one author did in some stored updates: the ids they inserted and the ids they deleted. */
export interface AttributionRecord {
  /** historyAuthors.ts id, or null for the server or what was stored before history was kept. */
  author: string | null;
  /** When they last did it (ms), or null when not known. */
  at: number | null;
  inserts: IdRange[];
  deletes: IdRange[];
}

/** A stored update as attribution reads it: raw (author, at) or merged (attribution). */
export interface AttributableRow {
  data: Uint8Array;
  author: string | null;
  at: number | null;
  attribution: Uint8Array | null;
}

/** Sorts and joins touching ranges of the same client. */
function coalesce(ranges: IdRange[]): IdRange[] {
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: IdRange[] = [];
  for (const range of ranges) {
    const last = out.at(-1);
    if (last && last[0] === range[0] && last[1] + last[2] >= range[1]) {
      last[2] = Math.max(last[2], range[1] + range[2] - last[1]);
    } else out.push([...range]);
  }
  return out;
}

/** The ids one update inserts (its items, not GC or skips) and deletes (its delete set). */
export function rangesOfUpdate(update: Uint8Array): { inserts: IdRange[]; deletes: IdRange[] } {
  const { structs, ds } = Y.decodeUpdate(update);
  const inserts: IdRange[] = [];
  for (const struct of structs) if (struct instanceof Y.Item) inserts.push([struct.id.client, struct.id.clock, struct.length]);
  const deletes: IdRange[] = [];
  ds.clients.forEach((items, client) => {
    for (const item of items) deletes.push([client, item.clock, item.len]);
  });
  return { inserts: coalesce(inserts), deletes: coalesce(deletes) };
}

/**
 * The attribution of some rows, one record per author (their latest time kept): merged rows bring
 * their records, raw rows are read. Survives any merging of the rows it was taken from.
 */
export function attributeRows(rows: readonly AttributableRow[]): AttributionRecord[] {
  const byAuthor = new Map<string | null, AttributionRecord>();
  const add = (record: AttributionRecord) => {
    const held = byAuthor.get(record.author);
    if (!held) {
      byAuthor.set(record.author, { author: record.author, at: record.at, inserts: [...record.inserts], deletes: [...record.deletes] });
      return;
    }
    held.at = held.at === null ? record.at : record.at === null ? held.at : Math.max(held.at, record.at);
    held.inserts.push(...record.inserts);
    held.deletes.push(...record.deletes);
  };
  for (const row of rows) {
    if (row.attribution) for (const record of decodeAttribution(row.attribution)) add(record);
    else add({ author: row.author, at: row.at, ...rangesOfUpdate(row.data) });
  }
  return [...byAuthor.values()].map((record) => ({ ...record, inserts: coalesce(record.inserts), deletes: coalesce(record.deletes) }));
}

function writeRanges(encoder: encoding.Encoder, ranges: readonly IdRange[]): void {
  encoding.writeVarUint(encoder, ranges.length);
  for (const [client, clock, len] of ranges) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarUint(encoder, len);
  }
}

function readRanges(decoder: decoding.Decoder): IdRange[] {
  const ranges: IdRange[] = [];
  for (let n = decoding.readVarUint(decoder); n > 0; n--) {
    ranges.push([decoding.readVarUint(decoder), decoding.readVarUint(decoder), decoding.readVarUint(decoder)]);
  }
  return ranges;
}

/** Binary form of records (history_rows.attribution): varUint count, then per record author ('' = null), at+1 (0 = null), ranges. */
export function encodeAttribution(records: readonly AttributionRecord[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, records.length);
  for (const record of records) {
    encoding.writeVarString(encoder, record.author ?? '');
    encoding.writeVarUint(encoder, record.at === null ? 0 : record.at + 1);
    writeRanges(encoder, record.inserts);
    writeRanges(encoder, record.deletes);
  }
  return encoding.toUint8Array(encoder);
}

export function decodeAttribution(bytes: Uint8Array): AttributionRecord[] {
  const decoder = decoding.createDecoder(bytes);
  const records: AttributionRecord[] = [];
  for (let n = decoding.readVarUint(decoder); n > 0; n--) {
    const author = decoding.readVarString(decoder);
    const at = decoding.readVarUint(decoder);
    records.push({ author: author === '' ? null : author, at: at === 0 ? null : at - 1, inserts: readRanges(decoder), deletes: readRanges(decoder) });
  }
  return records;
}

/** Who inserted, and who deleted, an id: answers from the records by binary search. */
export class AttributionIndex {
  private readonly inserts = new Map<number, Array<[clock: number, len: number, record: number]>>();
  private readonly deletes = new Map<number, Array<[clock: number, len: number, record: number]>>();

  constructor(readonly records: readonly AttributionRecord[]) {
    records.forEach((record, index) => {
      for (const [client, clock, len] of record.inserts) push(this.inserts, client, [clock, len, index]);
      for (const [client, clock, len] of record.deletes) push(this.deletes, client, [clock, len, index]);
    });
    for (const list of [...this.inserts.values(), ...this.deletes.values()]) list.sort((a, b) => a[0] - b[0]);
  }

  /** Every id where one record's range starts or ends: where items must be split to tell authors apart. */
  *boundaries(): Generator<[client: number, clock: number]> {
    for (const map of [this.inserts, this.deletes]) {
      for (const [client, list] of map) {
        for (const [clock, len] of list) {
          yield [client, clock];
          yield [client, clock + len];
        }
      }
    }
  }

  /** The record of whoever inserted `id`, or null when not known. */
  inserter(id: Y.ID): AttributionRecord | null {
    return this.find(this.inserts, id);
  }

  /** The record of whoever deleted `id` (the latest, if several did), or null when not known. */
  deleter(id: Y.ID): AttributionRecord | null {
    return this.find(this.deletes, id);
  }

  private find(map: Map<number, Array<[number, number, number]>>, id: Y.ID): AttributionRecord | null {
    const list = map.get(id.client);
    if (!list) return null;
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]![0] <= id.clock) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Deletion ranges of several authors may overlap (both deleted it): look back over the overlapping ones.
    for (let i = found; i >= 0 && i > found - 64; i--) {
      const [clock, len, record] = list[i]!;
      if (clock <= id.clock && id.clock < clock + len) return this.records[record]!;
    }
    return null;
  }
}

function push(map: Map<number, Array<[number, number, number]>>, client: number, entry: [number, number, number]): void {
  const list = map.get(client);
  if (list) list.push(entry);
  else map.set(client, [entry]);
}
