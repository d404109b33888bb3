/**
 * Who may use the storage endpoints (issue #7, seed 000 step 1): only storage validators of the storage
 * device's organisation, i.e. users of that organisation holding the storage-validator role on one of its
 * GC accounts. An API key acts as the user who created it. Platform administrators and auditors are not
 * storage validators, so they are refused too: the allocation records are the validator's attestation.
 */
import { and, eq } from "drizzle-orm";
import { canReadOrganisation, type Principal } from "../auth/permissions";
import type { DbOrTx } from "../db/database";
import { findDevice, type DeviceRow } from "../devices/store";
import type { FieldError } from "../http/problem";
import { gcAccounts, gcAccountUsers } from "../gc/schema";

export interface Refusal {
  status: 400 | 403 | 404;
  title: string;
  detail: string;
  errors?: FieldError[];
}

export type GcAccountRow = typeof gcAccounts.$inferSelect;

const notValidator: Refusal = {
  status: 403,
  title: "Forbidden",
  detail: "Only storage validators of the storage device's organisation may do this: a user of that organisation with the storage-validator role on one of its GC accounts.",
};

/** Whether `userId` holds the storage-validator role on an account of `organisationId` (or on `accountId` alone). */
export function isStorageValidator(db: DbOrTx, userId: string, organisationId: string, accountId?: string): boolean {
  const row = db
    .select({ accountId: gcAccountUsers.accountId })
    .from(gcAccountUsers)
    .innerJoin(gcAccounts, eq(gcAccounts.id, gcAccountUsers.accountId))
    .where(
      and(
        eq(gcAccountUsers.userId, userId),
        eq(gcAccountUsers.role, "storage-validator"),
        eq(gcAccounts.organisationId, organisationId),
        accountId === undefined ? undefined : eq(gcAccounts.id, accountId),
      ),
    )
    .limit(1)
    .get();
  return row !== undefined;
}

/** The storage device `deviceId` if the caller is one of its organisation's storage validators. */
export function storageDeviceFor(db: DbOrTx, principal: Principal, deviceId: string): DeviceRow | Refusal {
  const device = findDevice(db, deviceId);
  if (!device || !canReadOrganisation(principal, device.organisationId)) return { status: 404, title: "Not found", detail: "No such storage device." };
  if (principal.organisationId !== device.organisationId || !isStorageValidator(db, principal.userId, device.organisationId)) return notValidator;
  if (!device.isStorage) {
    return {
      status: 400,
      title: "Invalid request",
      detail: "Storage records belong to storage devices.",
      errors: [{ field: "path.deviceId", message: "is not a storage device (register it with isStorage: true)" }],
    };
  }
  return device;
}

/**
 * The account a cancellation or allocation works on: one of `organisationId`'s accounts (the caller's own
 * organisation, which for an allocation is the storage device's), on which the caller is a storage validator.
 */
export function validatorAccountFor(db: DbOrTx, principal: Principal, organisationId: string, accountId: string, field: string): GcAccountRow | Refusal {
  const account = db.select().from(gcAccounts).where(eq(gcAccounts.id, accountId)).get();
  if (!account || account.organisationId !== organisationId || principal.organisationId !== organisationId) {
    return { status: 404, title: "Not found", detail: "No such GC account in your organisation.", errors: [{ field, message: "no such account of the organisation" }] };
  }
  if (!isStorageValidator(db, principal.userId, organisationId, account.id)) {
    return { ...notValidator, detail: "Only a storage validator of this account may cancel its GCs for storage or have SD-GCs issued into it." };
  }
  return account;
}

export function isRefusal<T extends object>(value: T | Refusal): value is Refusal {
  return "status" in value && "title" in value && "detail" in value;
}
