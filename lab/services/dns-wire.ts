/**
 * Just enough of the DNS wire format (RFC 1035 section 4) for the lab's DNS pair: a TXT query for one name, and
 * an answer that copies the question and carries one TXT string. No compression beyond the answer's pointer to the
 * question name.
 */

const HEADER_BYTES = 12;
const TYPE_TXT = 16;
const CLASS_IN = 1;
/** The answer's name: a pointer to the question's name, right after the header. */
const NAME_POINTER = 0xc000 | HEADER_BYTES;

/** A standard query (RD set) for `name`'s TXT record. */
export function txtQuery(id: number, name: string): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const labels = name
    .split('.')
    .filter((label) => label !== '')
    .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(TYPE_TXT, 1);
  tail.writeUInt16BE(CLASS_IN, 3);
  return Buffer.concat([header, ...labels, tail]);
}

/** Where the first question ends (its name, type and class), or -1 when the message is cut short. */
function questionEnd(message: Buffer): number {
  let offset = HEADER_BYTES;
  while (offset < message.length && message[offset] !== 0) offset += 1 + message[offset]!;
  const end = offset + 1 + 4;
  return end <= message.length ? end : -1;
}

/** The answer to `query`: its id and question, QR and RA set, one TXT record holding `text`; null if malformed. */
export function txtAnswer(query: Buffer, text: string): Buffer | null {
  const end = query.length >= HEADER_BYTES && query.readUInt16BE(4) === 1 ? questionEnd(query) : -1;
  if (end < 0) return null;
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100), 2); // QR, RA, the query's RD
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 6); // ANCOUNT
  const data = Buffer.from(text);
  const record = Buffer.alloc(12);
  record.writeUInt16BE(NAME_POINTER, 0);
  record.writeUInt16BE(TYPE_TXT, 2);
  record.writeUInt16BE(CLASS_IN, 4);
  record.writeUInt32BE(0, 6); // TTL
  record.writeUInt16BE(data.length + 1, 10);
  return Buffer.concat([header, query.subarray(HEADER_BYTES, end), record, Buffer.from([data.length]), data]);
}

/** The id and the first TXT string of an answer, or null when it has none. */
export function readTxtAnswer(message: Buffer): { id: number; text: string } | null {
  const end = message.length >= HEADER_BYTES && message.readUInt16BE(6) >= 1 ? questionEnd(message) : -1;
  if (end < 0 || end + 13 > message.length) return null;
  if (message.readUInt16BE(end + 2) !== TYPE_TXT) return null;
  const length = message[end + 12]!;
  return { id: message.readUInt16BE(0), text: message.subarray(end + 13, end + 13 + length).toString() };
}
