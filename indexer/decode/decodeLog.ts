import { decodeAbiParameters, toEventSelector, type Abi, type AbiEvent, type AbiParameter, type Hex } from "viem";

/**
 * A decoded argument in one uniform shape: every integer type as bigint (uint8 included), addresses and
 * byte strings as lowercase hex, arrays element by element.
 */
export type EventValue = bigint | string | boolean | readonly EventValue[];
export type EventArgs = Record<string, EventValue>;

export interface DecodedEvent {
  eventName: string;
  args: EventArgs;
}

export type LogDecoder = (topics: readonly Hex[], data: Hex) => DecodedEvent | undefined;

interface EventEntry {
  name: string;
  indexed: readonly AbiParameter[];
  nonIndexed: readonly AbiParameter[];
}

/**
 * Decodes logs of the events in `abi`, looked up by topic 0. Equivalent to viem's `decodeEventLog`, which
 * hashes every event signature of the ABI on each call until one matches: here each signature is hashed
 * once. Events whose data holds only static words (uint, address, bool, bytesN: CertificateIssued,
 * TransferSingle, Retired's indexed part…) are read word by word from the hex; anything else goes through
 * viem's `decodeAbiParameters`. Returns undefined for a log the ABI does not describe.
 */
export function createLogDecoder(abi: Abi): LogDecoder {
  const bySelector = new Map<string, EventEntry>();
  for (const item of abi) {
    if (item.type !== "event" || item.anonymous) continue;
    bySelector.set(toEventSelector(item as AbiEvent), {
      name: item.name,
      indexed: item.inputs.filter((input) => input.indexed),
      nonIndexed: item.inputs.filter((input) => !input.indexed),
    });
  }
  return (topics, data) => {
    const entry = topics[0] === undefined ? undefined : bySelector.get(topics[0].toLowerCase());
    if (!entry || topics.length !== entry.indexed.length + 1) return undefined;
    const args: EventArgs = {};
    entry.indexed.forEach((input, i) => {
      // An indexed string, bytes, array or tuple is stored as its hash: the topic is all there is.
      args[input.name!] = isHashedWhenIndexed(input.type) ? topics[i + 1].toLowerCase() : staticWord(topics[i + 1].slice(2), input.type);
    });
    if (entry.nonIndexed.length > 0) {
      if (entry.nonIndexed.every((input) => isStaticWord(input.type)) && data.length >= 2 + 64 * entry.nonIndexed.length) {
        entry.nonIndexed.forEach((input, i) => {
          args[input.name!] = staticWord(data.slice(2 + 64 * i, 66 + 64 * i), input.type);
        });
      } else {
        const values = decodeAbiParameters(entry.nonIndexed, data);
        entry.nonIndexed.forEach((input, i) => {
          args[input.name!] = uniform(values[i], input.type);
        });
      }
    }
    return { eventName: entry.name, args };
  };
}

/** Types that take exactly one 32-byte word, read straight from hex by {@link staticWord}. */
function isStaticWord(type: string): boolean {
  return /^uint\d*$/.test(type) || type === "address" || type === "bool" || /^bytes([1-9]|[12]\d|3[0-2])$/.test(type);
}

/** One ABI word (64 hex digits) of a static type, in the uniform shape. */
function staticWord(word: string, type: string): EventValue {
  if (type === "address") return `0x${word.slice(24).toLowerCase()}`;
  if (type === "bool") return BigInt(`0x${word}`) !== 0n;
  if (type.startsWith("bytes")) return `0x${word.slice(0, 2 * Number(type.slice(5))).toLowerCase()}`;
  if (type.startsWith("uint")) return BigInt(`0x${word}`);
  // Signed integers and anything else: let viem decode it.
  return uniform(decodeAbiParameters([{ type }], `0x${word}`)[0], type);
}

function isHashedWhenIndexed(type: string): boolean {
  return type === "string" || type === "bytes" || type.endsWith("]") || type.startsWith("tuple");
}

function uniform(value: unknown, type: string): EventValue {
  if (typeof value === "bigint" || typeof value === "boolean") return value;
  if (typeof value === "number") return BigInt(value);
  // Only addresses and bytes are hex; a string argument (a beneficiary's name) keeps its case.
  if (typeof value === "string") return type === "string" ? value : value.toLowerCase();
  if (Array.isArray(value)) {
    const elementType = type.slice(0, type.lastIndexOf("["));
    return value.map((element) => uniform(element, elementType));
  }
  throw new Error(`Unexpected decoded ${type} value ${String(value)}`);
}

/** The arguments as JSON can hold them: bigints become decimal strings, so uint256 values stay exact. */
export function jsonArgs(args: EventArgs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) out[name] = jsonValue(value);
  return out;
}

function jsonValue(value: EventValue): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonValue);
  return value;
}
