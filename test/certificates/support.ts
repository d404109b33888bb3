import { expect } from "chai";
import { and, eq } from "drizzle-orm";
import { network } from "hardhat";
import { getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { sendRegistryTransaction } from "../../server/chain/sendTransaction";
import { REGISTRY_ABI } from "../../server/chain/registryAbi";
import { runIssuance } from "../../server/issuance/engine";
import { issuanceJobs } from "../../server/issuance/schema";
import { wallets } from "../../server/wallets/schema";
import { validDevice } from "../devices/support";
import type { SeededUser, TestApi } from "../support/api";
import { DAY_MS, HOUR_MS } from "../../server/time/durations";
export { syncIndexer } from "../support/indexing";

const FUNDS = "0x21e19e0c9bab2400000";

export const fund = (address: string) => network.provider.request({ method: "hardhat_setBalance", params: [address, FUNDS] });

/** What the chain says a wallet holds and has claimed of a certificate. */
export async function onChain(api: TestApi, holder: string, id: string): Promise<{ balance: bigint; claimed: bigint }> {
  const read = (functionName: "balanceOf" | "claimedBalanceOf") =>
    api.deps.publicClient.readContract({ address: api.deps.registryAddress, abi: REGISTRY_ABI, functionName, args: [holder as Hex, BigInt(id)] });
  const [balance, claimed] = await Promise.all([read("balanceOf"), read("claimedBalanceOf")]);
  return { balance, claimed };
}

/** Sends `amount` Wh of a certificate from a wallet whose key the test holds. */
export async function transfer(api: TestApi, fromKey: Hex, to: string, id: string, amount: bigint): Promise<void> {
  const account = privateKeyToAccount(fromKey);
  await sendRegistryTransaction(api.deps, account, "safeTransferFrom", [account.address, to as Hex, BigInt(id), amount, "0x"]);
}

/** Creates (through the API) and funds the organisation's managed wallet. */
export async function managedWallet(api: TestApi, user: SeededUser): Promise<Hex> {
  const response = await api.request("POST", "/organisation/managed-wallet", { token: user.token });
  const body = (await response.json()) as { address: Hex };
  expect(response.status, JSON.stringify(body)).to.equal(201);
  await fund(body.address);
  return body.address;
}

/** Binds a fresh funded key to the organisation (as a signed challenge would) and returns it. */
export async function boundWallet(api: TestApi, user: SeededUser): Promise<{ key: Hex; address: Hex }> {
  const key = generatePrivateKey();
  const address = getAddress(privateKeyToAddress(key));
  api.database.db.insert(wallets).values({ address, organisationId: user.organisationId, kind: "bound", createdBy: user.userId, createdAt: api.clock.now().toISOString() }).run();
  await fund(address);
  return { key, address };
}

/**
 * One daily D-REC certificate of `developer`'s single device, reserved by `buyer` for the last whole UTC day
 * before the API clock (which the caller aligned to the chain): for tests whose organisations exist already.
 */
export async function issueOneCertificate(api: TestApi, developer: SeededUser, buyer: SeededUser): Promise<string> {
  const end = Math.floor(api.clock.now().getTime() / DAY_MS) * DAY_MS;
  const start = end - DAY_MS;
  await managedWallet(api, developer);
  const created = await api.request("POST", "/devices", { token: developer.token, body: validDevice({ externalId: "certified-device", latitude: undefined, longitude: undefined }) });
  const device = (await created.json()) as { id: string };
  expect(created.status, JSON.stringify(device)).to.equal(201);
  const reads = Array.from({ length: 24 }, (_, h) => ({ type: "history", start: new Date(start + h * HOUR_MS).toISOString(), end: new Date(start + (h + 1) * HOUR_MS).toISOString(), value: 750 }));
  expect((await api.request("POST", `/devices/${device.id}/reads`, { token: developer.token, body: { reads } })).status).to.be.oneOf([200, 201]);
  const { address } = await boundWallet(api, buyer);
  const reservation = await api.request("POST", "/reservations", {
    token: buyer.token,
    body: {
      name: "Certificates ACL",
      standard: "D-REC",
      frequency: "daily",
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      targetMWh: "1",
      authorityToExceed: true,
      walletAddress: address,
      deviceIds: [device.id],
    },
  });
  const { id: reservationId } = (await reservation.json()) as { id: string };
  expect(reservation.status).to.equal(201);
  await runIssuance(api.deps);
  const job = api.database.db
    .select()
    .from(issuanceJobs)
    .where(and(eq(issuanceJobs.reservationId, reservationId), eq(issuanceJobs.state, "confirmed")))
    .get();
  expect(job, "the engine minted the certificate").to.not.equal(undefined);
  return job!.certificateId!;
}
