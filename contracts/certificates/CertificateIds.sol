// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The certificate families one registry holds.
enum CertificateKind {
    DRec,
    GranularCertificate,
    StorageDischargeCertificate,
    ImportedGranularCertificate
}

/// @notice Why an amount of a certificate left circulation other than by transfer.
enum RetirementReason {
    Claimed,
    Cancelled,
    CancelledForStorage,
    Exported,
    Split
}

/**
 * @dev Token ids carry their certificate kind in the top byte and a registry-wide serial below it.
 * Keeping the kind inside the id means a mint writes no per-id storage besides the balance, and the
 * transfer hook can tell GC families apart without a storage read.
 */
library CertificateIds {
    uint256 private constant KIND_SHIFT = 248;

    /// @dev An id whose top byte names no known kind.
    error UnknownCertificateKind(uint256 id);

    function encode(CertificateKind kind, uint256 serial) internal pure returns (uint256) {
        return (uint256(kind) << KIND_SHIFT) | serial;
    }

    function kindOf(uint256 id) internal pure returns (CertificateKind) {
        uint256 kind = id >> KIND_SHIFT;
        if (kind > uint256(type(CertificateKind).max)) revert UnknownCertificateKind(id);
        return CertificateKind(kind);
    }

    /// @dev True for the EnergyTag families (GC, SD-GC, imported GC), which obey account allowlists.
    function isGranular(uint256 id) internal pure returns (bool) {
        uint256 kind = id >> KIND_SHIFT;
        return kind != uint256(CertificateKind.DRec) && kind <= uint256(type(CertificateKind).max);
    }
}
