// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {CertificateIds, CertificateKind, RetirementReason} from "./certificates/CertificateIds.sol";
import {Certificate, Voucher, IssuanceVouchers} from "./issuance/IssuanceVouchers.sol";
import {ReservationLog} from "./reservations/ReservationLog.sol";
import {TransferAllowlist} from "./gc/TransferAllowlist.sol";

/**
 * @title CertificateRegistry
 * @notice ERC-1155 registry of energy attribute certificates (D-REC and EnergyTag GC families).
 * One token id is one certificate; one unit is one Wh. Certificates are minted from vouchers the
 * platform's issuer signs after validating generation off-chain; anyone may submit a voucher, so the
 * developer's wallet pays the gas while the tokens land in the buyer's wallet.
 * @dev Every state change emits an event carrying what an indexer needs to rebuild the full state
 * from logs alone. All movement of tokens (mint, transfer, burn) passes through {_update}, where pause,
 * revocation and the GC transfer allowlist are enforced.
 */
contract CertificateRegistry is ERC1155, AccessControl, Pausable, EIP712, ReservationLog, TransferAllowlist {
    using Strings for uint256;

    /// @dev Active certificates move freely; provisional ones (I-REC, awaiting serials) and revoked ones do not.
    enum CertificateStatus {
        Active,
        Revoked,
        Provisional
    }

    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    bytes32 public constant RESERVATION_RECORDER_ROLE = keccak256("RESERVATION_RECORDER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @dev Starts at 1 so the slot is never zero and ids never collide with the zero id.
    uint256 private _nextSerial = 1;
    mapping(uint256 word => uint256 bits) private _usedNonces;
    /// @dev One slot per id read by every movement: revoked and provisional share it, so D-RECs pay one SLOAD.
    mapping(uint256 id => CertificateStatus) private _status;
    mapping(address holder => mapping(uint256 id => uint256)) private _claimed;

    /// @notice A certificate was minted. Its amount and recipient are in the ERC-1155 transfer event.
    event CertificateIssued(
        uint256 indexed id,
        bytes32 indexed ref,
        uint256 amount,
        uint64 start,
        uint64 end,
        bytes32 evidence
    );
    /// @notice A voucher was used; it minted ids `firstId` to `firstId + count - 1`.
    event VoucherRedeemed(uint256 indexed nonce, address indexed recipient, uint256 firstId, uint256 count);
    event VoucherInvalidated(uint256 indexed nonce);
    /// @notice `amount` of `id` left circulation for `reason`; for claims it joins the holder's claimed ledger.
    event Retired(
        address indexed holder,
        uint256 indexed id,
        RetirementReason indexed reason,
        uint256 amount,
        string beneficiary,
        bytes32 detailsHash
    );
    /// @notice `sum(amounts)` of `parentId` was burned and re-minted to `holder` as `childIds`.
    event Split(uint256 indexed parentId, address indexed holder, uint256[] childIds, uint256[] amounts);
    event CertificateRevoked(uint256 indexed id, bytes32 reasonHash);
    /// @notice The external standard's registry issued `id` as the serial range `firstSerial`..`lastSerial`.
    event StandardSerialsRecorded(uint256 indexed id, string firstSerial, string lastSerial);
    event BaseURIChanged(string baseURI);

    error VoucherExpired(uint256 nonce, uint64 deadline);
    error VoucherAlreadyUsed(uint256 nonce);
    error InvalidVoucherSigner(address signer);
    error EmptyVoucher(uint256 nonce);
    error InvalidCertificate(uint256 index);
    error ArrayLengthMismatch(uint256 expected, uint256 actual);
    error ZeroAmount();
    error InvalidRetirementReason(RetirementReason reason);
    error CertificateIsRevoked(uint256 id);
    error CertificateAlreadyRevoked(uint256 id);
    error CertificateIsProvisional(uint256 id);
    error CertificateNotProvisional(uint256 id);
    error EmptySerial();

    /**
     * @param admin Holds the admin role: roles, revocation, base URI, hold period.
     * @param issuer The key whose signatures make vouchers valid.
     * @param recorder The key that writes the reservation log.
     * @param pauser The key that may pause and unpause.
     * @param baseURI Prefix of every token's metadata URL; the decimal id is appended.
     */
    constructor(
        address admin,
        address issuer,
        address recorder,
        address pauser,
        string memory baseURI
    ) ERC1155(baseURI) EIP712("CertificateRegistry", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ISSUER_ROLE, issuer);
        _grantRole(RESERVATION_RECORDER_ROLE, recorder);
        _grantRole(PAUSER_ROLE, pauser);
    }

    // ---------------------------------------------------------------- issuance

    /**
     * @notice Mints the certificates of one signed voucher to its recipient.
     * @dev Reverts with {VoucherExpired}, {VoucherAlreadyUsed}, {InvalidVoucherSigner}, {EmptyVoucher},
     * {InvalidCertificate}, and for D-RECs the reservation errors of {ReservationLog}.
     * @param voucher The voucher the issuer signed (EIP-712, this contract's domain).
     * @param signature The issuer's signature over it.
     */
    function issue(Voucher calldata voucher, bytes calldata signature) external {
        _redeem(voucher, signature);
    }

    /// @notice Mints several vouchers in one transaction; all succeed or none does.
    function issueBatch(Voucher[] calldata vouchers, bytes[] calldata signatures) external {
        if (vouchers.length != signatures.length) revert ArrayLengthMismatch(vouchers.length, signatures.length);
        for (uint256 i = 0; i < vouchers.length; ++i) {
            _redeem(vouchers[i], signatures[i]);
        }
    }

    /// @notice Makes a signed but unused voucher unusable, e.g. when the platform abandons it.
    function invalidateVoucher(uint256 nonce) external onlyRole(ISSUER_ROLE) {
        _useNonce(nonce);
        emit VoucherInvalidated(nonce);
    }

    /// @notice Whether a voucher nonce has been redeemed or invalidated.
    function isVoucherUsed(uint256 nonce) external view returns (bool) {
        return _usedNonces[nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @notice The EIP-712 digest the issuer signs for `voucher`.
    function voucherDigest(Voucher calldata voucher) external view returns (bytes32) {
        return _hashTypedDataV4(IssuanceVouchers.structHash(voucher));
    }

    // ---------------------------------------------------------------- retirement

    /**
     * @notice Claims (retires) `amount` Wh of `id` held by `holder` for `beneficiary`: burns it and adds it
     * to the holder's claimed ledger. The holder or an operator it approved may call.
     * @param detailsHash Hash of the off-chain claim details (purpose, location, period of consumption).
     */
    function claim(
        address holder,
        uint256 id,
        uint256 amount,
        string calldata beneficiary,
        bytes32 detailsHash
    ) external {
        _checkAuthorized(_msgSender(), holder);
        uint256[] memory ids = new uint256[](1);
        uint256[] memory amounts = new uint256[](1);
        ids[0] = id;
        amounts[0] = amount;
        _retire(holder, ids, amounts, RetirementReason.Claimed, beneficiary, detailsHash);
    }

    /**
     * @notice Retires amounts of several ids for one reason: claimed, cancelled, cancelled for storage
     * or exported. Splitting has its own function.
     */
    function retireBatch(
        address holder,
        uint256[] calldata ids,
        uint256[] calldata amounts,
        RetirementReason reason,
        string calldata beneficiary,
        bytes32 detailsHash
    ) external {
        if (reason == RetirementReason.Split) revert InvalidRetirementReason(reason);
        if (ids.length != amounts.length) revert ArrayLengthMismatch(ids.length, amounts.length);
        // An empty batch would emit an empty TransferBatch that every indexer must then handle.
        if (ids.length == 0) revert ZeroAmount();
        _checkAuthorized(_msgSender(), holder);
        _retire(holder, ids, amounts, reason, beneficiary, detailsHash);
    }

    /// @notice Wh of `id` that `holder` has claimed.
    function claimedBalanceOf(address holder, uint256 id) external view returns (uint256) {
        return _claimed[holder][id];
    }

    // ---------------------------------------------------------------- split

    /**
     * @notice Burns `sum(amounts)` of `parentId` from `holder` and mints one new id per amount to the holder.
     * Children share the parent's kind; their other attributes follow from the parent through {Split}.
     * @return childIds The new ids, in the order of `amounts`.
     */
    function split(
        address holder,
        uint256 parentId,
        uint256[] calldata amounts
    ) external returns (uint256[] memory childIds) {
        _checkAuthorized(_msgSender(), holder);
        if (amounts.length == 0) revert ZeroAmount();
        CertificateKind kind = CertificateIds.kindOf(parentId);
        childIds = new uint256[](amounts.length);
        uint256[] memory values = amounts;
        uint256 total;
        uint256 serial = _nextSerial;
        for (uint256 i = 0; i < amounts.length; ++i) {
            if (amounts[i] == 0) revert ZeroAmount();
            total += amounts[i];
            childIds[i] = CertificateIds.encode(kind, serial++);
        }
        _nextSerial = serial;
        _burn(holder, parentId, total);
        emit Split(parentId, holder, childIds, values);
        _mintBatch(holder, childIds, values, "");
    }

    // ---------------------------------------------------------------- administration

    /// @notice Freezes a certificate found invalid: it can no longer move, be split or be claimed.
    function revoke(uint256 id, bytes32 reasonHash) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_status[id] == CertificateStatus.Revoked) revert CertificateAlreadyRevoked(id);
        _status[id] = CertificateStatus.Revoked;
        emit CertificateRevoked(id, reasonHash);
    }

    /// @notice Whether `id` has been revoked.
    function isRevoked(uint256 id) external view returns (bool) {
        return _status[id] == CertificateStatus.Revoked;
    }

    // ---------------------------------------------------------------- external standards (I-REC)

    /**
     * @notice Records the serial range the external standard's registry (I-REC) issued for a provisional
     * certificate, which makes it active: from then on the buyer may hold, move or redeem it.
     * @dev Only the issuer, which asked that registry for the issuance. Reverts with
     * {CertificateNotProvisional} for any other id, so a range is recorded once.
     */
    function recordStandardSerials(
        uint256 id,
        string calldata firstSerial,
        string calldata lastSerial
    ) external onlyRole(ISSUER_ROLE) {
        if (_status[id] != CertificateStatus.Provisional) revert CertificateNotProvisional(id);
        if (bytes(firstSerial).length == 0 || bytes(lastSerial).length == 0) revert EmptySerial();
        _status[id] = CertificateStatus.Active;
        emit StandardSerialsRecorded(id, firstSerial, lastSerial);
    }

    /// @notice Whether `id` is an I-REC certificate still waiting for its serial numbers.
    function isProvisional(uint256 id) external view returns (bool) {
        return _status[id] == CertificateStatus.Provisional;
    }

    /// @notice Stops every transfer, issuance, split and retirement until {unpause}.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Lifts {pause}.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice Sets the prefix of every token's metadata URL.
    function setBaseURI(string calldata baseURI) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setURI(baseURI);
        emit BaseURIChanged(baseURI);
    }

    /// @notice The metadata URL of `id`: the base URI followed by the decimal id.
    function uri(uint256 id) public view override returns (string memory) {
        return string.concat(super.uri(id), id.toString());
    }

    /// @notice The certificate kind encoded in `id`.
    function kindOf(uint256 id) external pure returns (CertificateKind) {
        return CertificateIds.kindOf(id);
    }

    /// @inheritdoc ERC1155
    function supportsInterface(bytes4 interfaceId) public view override(ERC1155, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internals

    function _redeem(Voucher calldata voucher, bytes calldata signature) private {
        uint256 nonce = voucher.nonce;
        if (block.timestamp > voucher.deadline) revert VoucherExpired(nonce, voucher.deadline);
        uint256 count = voucher.certificates.length;
        if (count == 0) revert EmptyVoucher(nonce);
        address signer = ECDSA.recover(_hashTypedDataV4(IssuanceVouchers.structHash(voucher)), signature);
        if (!hasRole(ISSUER_ROLE, signer)) revert InvalidVoucherSigner(signer);
        _useNonce(nonce);

        address recipient = voucher.recipient;
        bool isDRec = voucher.kind == CertificateKind.DRec;
        uint256[] memory ids = new uint256[](count);
        uint256[] memory amounts = new uint256[](count);
        uint256 firstSerial = _nextSerial;
        for (uint256 i = 0; i < count; ++i) {
            Certificate calldata c = voucher.certificates[i];
            if (c.amount == 0 || c.start >= c.end || c.end > block.timestamp || c.ref == bytes32(0)) {
                revert InvalidCertificate(i);
            }
            uint256 id = CertificateIds.encode(voucher.kind, firstSerial + i);
            // An id revoked before it was minted stays revoked: minting must not turn it into a movable one.
            if (
                isDRec &&
                _recordReservationIssuance(c.ref, recipient, c.start, c.end, c.amount) &&
                _status[id] == CertificateStatus.Active
            ) {
                _status[id] = CertificateStatus.Provisional;
            }
            ids[i] = id;
            amounts[i] = c.amount;
            emit CertificateIssued(id, c.ref, c.amount, c.start, c.end, c.evidence);
        }
        _nextSerial = firstSerial + count;
        emit VoucherRedeemed(nonce, recipient, ids[0], count);
        _mintBatch(recipient, ids, amounts, "");
    }

    /// @dev One burn for all ids, so a batch emits one `TransferBatch` (or `TransferSingle` at n = 1).
    function _retire(
        address holder,
        uint256[] memory ids,
        uint256[] memory amounts,
        RetirementReason reason,
        string calldata beneficiary,
        bytes32 detailsHash
    ) private {
        _burnBatch(holder, ids, amounts);
        bool claimed = reason == RetirementReason.Claimed;
        for (uint256 i = 0; i < ids.length; ++i) {
            (uint256 id, uint256 amount) = (ids[i], amounts[i]);
            if (amount == 0) revert ZeroAmount();
            if (claimed) _claimed[holder][id] += amount;
            emit Retired(holder, id, reason, amount, beneficiary, detailsHash);
        }
    }

    function _useNonce(uint256 nonce) private {
        uint256 word = nonce >> 8;
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = _usedNonces[word];
        if (bits & bit != 0) revert VoucherAlreadyUsed(nonce);
        _usedNonces[word] = bits | bit;
    }

    /// @dev The single gate for every movement: pause, revocation and the GC allowlist.
    function _update(
        address from,
        address to,
        uint256[] memory ids,
        uint256[] memory values
    ) internal override whenNotPaused {
        if (from != address(0)) {
            bool allowlistBlocks = to != address(0) && _blocksGranularTransfer(from, to);
            for (uint256 i = 0; i < ids.length; ++i) {
                uint256 id = ids[i];
                CertificateStatus status = _status[id];
                if (status == CertificateStatus.Revoked) revert CertificateIsRevoked(id);
                if (status == CertificateStatus.Provisional) revert CertificateIsProvisional(id);
                if (allowlistBlocks && CertificateIds.isGranular(id)) revert SenderNotAllowlisted(from, to);
            }
        }
        super._update(from, to, ids, values);
    }

    function _checkCanRecordReservations() internal view override {
        _checkRole(RESERVATION_RECORDER_ROLE);
    }

    function _checkCanConfigure() internal view override {
        _checkRole(DEFAULT_ADMIN_ROLE);
    }
}
