import { formatEther, type Address } from "viem";
import type { DemoStory } from "./story";
import { inviteAuditor, logIn, signUpAndLogIn } from "./dRec/accounts";
import { auditReport, type AuditSummary } from "./dRec/audit";
import { registerOneByOne, uploadCsv, type RegisteredDevice } from "./dRec/devices";
import { DEVICES_BY_CSV, DEVICES_ONE_BY_ONE } from "./dRec/fixtures";
import { claimFromOwnWallet, holdingsOf, type ClaimSummary, type Holding } from "./dRec/holdings";
import { runIssuance, type IssuanceSummary } from "./dRec/issuance";
import { postGatewayReads, type ReadsSummary } from "./dRec/reads";
import { reserveDevices } from "./dRec/reservation";
import { bindOwnWallet, createManagedWallet } from "./dRec/wallets";
import { DAY_MS } from "../../server/time/durations";

/** Days of hourly history the gateway posts and the reservation covers, up to today's UTC midnight. */
export const DEMO_DAYS = 30;

export interface DRecSummary {
  organisations: { developerId: string; buyerId: string; auditorId: string };
  devices: Pick<RegisteredDevice, "id" | "externalId" | "via">[];
  reads: ReadsSummary;
  window: { start: string; end: string };
  developerWallet: Address;
  buyerWallet: Address;
  reservationId: string;
  issuance: IssuanceSummary;
  /** The buyer's holdings after the claim, from the indexer's mirror. */
  holdings: Holding[];
  claim: ClaimSummary;
  audit: AuditSummary;
}

/** Wh as MWh with every digit (1 Wh = 0.000001 MWh). */
export function formatMWh(wh: bigint): string {
  return `${wh / 1_000_000n}.${(wh % 1_000_000n).toString().padStart(6, "0")}`;
}

/**
 * Seed 001's story: a developer and a buyer sign up; the developer registers devices and its gateway posts a
 * month of reads; the buyer binds its wallet and reserves the devices; the engine issues daily D-RECs into
 * that wallet with the developer paying the gas; the buyer claims part of one; an auditor checks it all.
 */
export const dRecStory: DemoStory<DRecSummary> = {
  title: "D-REC: from devices and meter reads to certificates in the buyer's wallet",

  async run(context) {
    const { print } = context;
    const end = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const start = end - DEMO_DAYS * DAY_MS;

    print.heading("1. Accounts: the platform administrator, a developer and a buyer");
    const admin = await logIn(context.api, context.admin.email, context.admin.password);
    print.line(`admin     Platform administration: ${context.admin.email} (created by the stack at start) logged in`);
    const developer = await signUpAndLogIn(
      context,
      { firstName: "Wanjiru", lastName: "Kamau", email: "wanjiru@jua-energy.example" },
      { type: "developer", name: "Jua Energy Ltd", address: "12 Ngong Road, Nairobi" },
    );
    const buyer = await signUpAndLogIn(
      context,
      { firstName: "Lars", lastName: "Andersen", email: "lars@nordic-offtake.example" },
      { type: "buyer", name: "Nordic Offtake AB", address: "Kungsgatan 8, Stockholm" },
    );

    print.heading("2. The developer registers devices: three one by one, three by CSV upload");
    const devices = [...(await registerOneByOne(context, developer, DEVICES_ONE_BY_ONE)), ...(await uploadCsv(context, developer, DEVICES_BY_CSV))];

    print.heading("3. The developer's managed wallet, which will pay the issuance gas");
    const developerWallet = await createManagedWallet(context, developer);

    print.heading(`4. A meter gateway posts ${DEMO_DAYS} days of hourly history reads, a few of them faulty`);
    const reads = await postGatewayReads(context, developer, devices, start, DEMO_DAYS);

    print.heading("5. The buyer binds its own wallet and reserves the devices");
    const buyerAccount = await bindOwnWallet(context, buyer);
    const reservation = await reserveDevices(context, buyer, developer.organisationId, { start, end }, buyerAccount.address);

    print.heading("6. Issuance: daily D-RECs into the buyer's wallet, gas paid by the developer's wallet");
    const issuance = await runIssuance(context, { admin, developer, buyer }, reservation.id, developerWallet.address);

    print.heading("7. The indexer's mirror: the buyer's holdings");
    await holdingsOf(context, buyer, buyerAccount.address);

    print.heading("8. The buyer claims part of a certificate from its own wallet");
    const claimed = issuance.certificates[0];
    const claim = await claimFromOwnWallet(context, buyer, buyerAccount, claimed, claimed.volumeWh / 4n);
    const holdings = await holdingsOf(context, buyer, buyerAccount.address);

    print.heading("9. An auditor checks the registry from the chain");
    const auditor = await inviteAuditor(context, admin, "Independent Energy Audit", { firstName: "Amina", lastName: "Odhiambo", email: "amina@energy-audit.example" });
    const audit = await auditReport(context, auditor);

    return {
      organisations: { developerId: developer.organisationId, buyerId: buyer.organisationId, auditorId: auditor.organisationId },
      devices: devices.map(({ id, externalId, via }) => ({ id, externalId, via })),
      reads,
      window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
      developerWallet: developerWallet.address,
      buyerWallet: buyerAccount.address,
      reservationId: reservation.id,
      issuance,
      holdings,
      claim,
      audit,
    };
  },

  summaryLines(summary) {
    const { issuance, claim, audit, reads } = summary;
    const checksPassed = audit.checks.filter((c) => c.passed).length;
    return [
      `devices:      ${summary.devices.length} (${summary.devices.filter((d) => d.via === "api").length} one by one, ${summary.devices.filter((d) => d.via === "csv").length} by CSV)`,
      `reads:        ${reads.accepted} accepted, ${reads.rejected} rejected (${[...new Set(reads.rejections.flatMap((r) => r.codes))].join(", ")})`,
      `certificates: ${issuance.certificates.length} daily D-RECs, ${issuance.totalWh} Wh (${formatMWh(issuance.totalWh)} MWh), in the buyer's wallet ${summary.buyerWallet}`,
      `gas paid:     ${formatEther(issuance.paidWei)} ETH, ${issuance.gasUsed} gas in ${issuance.transactions.length} transaction(s), by the developer's wallet ${issuance.payer}`,
      `claimed:      ${claim.amountWh} Wh of certificate ${claim.certificateId}, for ${claim.beneficiary}`,
      `audit:        ${audit.passed ? "passed" : "FAILED"} (${checksPassed} of ${audit.checks.length} checks clean)`,
    ];
  },
};
