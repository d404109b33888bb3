import { formatEther, type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { sendRegistryTransaction } from "../../../server/chain/sendTransaction";
import { localFaucet } from "../../stack";
import { waitForIndexer } from "../indexer";
import type { DemoContext, Session } from "../story";
import type { IssuedCertificate } from "./issuance";

export interface Holding {
  certificateId: string;
  balanceWh: bigint;
  claimedWh: bigint;
}

export interface ClaimSummary {
  certificateId: string;
  holder: Address;
  amountWh: bigint;
  beneficiary: string;
  detailsHash: Hex;
  txHash: Hex;
  gasUsed: bigint;
}

interface ChainHolding {
  certificate: { id: string; kind: string; periodStart: string };
  balance: string;
  claimed: string;
}

/** The wallet's holdings as the indexer mirrored them (GET /chain/wallets/{address}/holdings), once it caught up. */
export async function holdingsOf(context: DemoContext, viewer: Session, wallet: Address): Promise<Holding[]> {
  const block = await waitForIndexer(context.api, context.print);
  const items = await context.api.all<ChainHolding>(`/chain/wallets/${wallet}/holdings?includeEmpty=true`, viewer.as);
  const holdings = items.map((h) => ({ certificateId: h.certificate.id, balanceWh: BigInt(h.balance), claimedWh: BigInt(h.claimed) }));
  const held = holdings.reduce((sum, h) => sum + h.balanceWh, 0n);
  const claimed = holdings.reduce((sum, h) => sum + h.claimedWh, 0n);
  context.print.line(`GET /chain/wallets/${wallet}/holdings  (mirror at block ${block}): ${holdings.length} certificates, ${held} Wh held, ${claimed} Wh claimed`);
  return holdings;
}

/**
 * A self-custody claim: the buyer publishes what the claim is for (POST /certificates/{id}/claim-details), then
 * sends the registry's `claim(...)` from its own key with the hash it got back, paying its own gas (a little ETH
 * from the local chain's faucet).
 */
export async function claimFromOwnWallet(
  context: DemoContext,
  buyer: Session,
  account: PrivateKeyAccount,
  certificate: IssuedCertificate,
  amountWh: bigint,
): Promise<ClaimSummary> {
  const beneficiary = "Nairobi Schools Trust";
  const details = await context.api.post<{ claim: { detailsHash: Hex; canonicalDetails: string }; call: { function: string } }>(
    `/certificates/${certificate.id}/claim-details`,
    {
      holder: account.address,
      amountWh: amountWh.toString(),
      beneficiary,
      purpose: `Electricity used by the Trust's schools on ${certificate.generationStart.slice(0, 10)}`,
    },
    buyer.as,
  );
  context.print.line(`POST /certificates/{id}/claim-details  published ${details.claim.canonicalDetails}`);
  context.print.line(`  detailsHash ${details.claim.detailsHash}; now send ${details.call.function}`);

  await localFaucet(context.chain)(account.address);
  const balance = await context.chain.publicClient.getBalance({ address: account.address });
  context.print.line(`local faucet: ${formatEther(balance)} ETH to ${account.address} for its own gas`);
  const { hash, receipt } = await sendRegistryTransaction(
    { publicClient: context.chain.publicClient, registryAddress: context.registryAddress },
    account,
    "claim",
    [account.address, BigInt(certificate.id), amountWh, beneficiary, details.claim.detailsHash],
  );
  context.print.line(`claim(...) from ${account.address}: ${amountWh} Wh of ${certificate.generationStart.slice(0, 10)}'s certificate burned and claimed (tx ${hash}, ${receipt.gasUsed} gas)`);
  return { certificateId: certificate.id, holder: account.address, amountWh, beneficiary, detailsHash: details.claim.detailsHash, txHash: hash, gasUsed: receipt.gasUsed };
}
