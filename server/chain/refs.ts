type Hex = `0x${string}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PADDED_UUID = /^0x0{32}([0-9a-f]{32})$/i;

/**
 * The bytes32 the chain knows a platform record by (a device, a reservation): its UUID's 16 bytes,
 * left-padded with zeros. Reversible, so anyone reading the chain can find the record in the API.
 */
export function chainRef(uuid: string): Hex {
  if (!UUID.test(uuid)) throw new Error(`chainRef needs a UUID, got ${JSON.stringify(uuid)}`);
  return `0x${"0".repeat(32)}${uuid.replace(/-/g, "").toLowerCase()}`;
}

/** The UUID behind a bytes32 made by {@link chainRef}, or undefined for any other value. */
export function uuidOfChainRef(ref: string): string | undefined {
  const match = PADDED_UUID.exec(ref);
  if (!match) return undefined;
  const h = match[1].toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
