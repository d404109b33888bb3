import { parseAbi } from "viem";

/**
 * The part of CertificateRegistry's ABI the audit reads: every event that moves or records supply, the
 * reservation log, and the views it compares with. Written out rather than read from the build artifacts
 * so decoded logs and view results are typed.
 */
export const AUDITED_EVENTS = parseAbi([
  "event CertificateIssued(uint256 indexed id, bytes32 indexed ref, uint256 amount, uint64 start, uint64 end, bytes32 evidence)",
  "event Retired(address indexed holder, uint256 indexed id, uint8 indexed reason, uint256 amount, string beneficiary, bytes32 detailsHash)",
  "event Split(uint256 indexed parentId, address indexed holder, uint256[] childIds, uint256[] amounts)",
  "event CertificateRevoked(uint256 indexed id, bytes32 reasonHash)",
  "event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value)",
  "event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values)",
  "event ReservationCreated(bytes32 indexed reservationId, address indexed buyer, uint40 start, uint40 end, uint8 frequency, uint8 standard, uint96 targetWh, bool canExceedTarget)",
  "event DeviceAdded(bytes32 indexed reservationId, bytes32 indexed device)",
  "event DeviceRemoved(bytes32 indexed reservationId, bytes32 indexed device, uint256 releasedAt)",
  "event ReservationEnded(bytes32 indexed reservationId, uint8 reason, uint256 endedAt)",
]);

export const AUDITED_VIEWS = parseAbi([
  "function balanceOfBatch(address[] accounts, uint256[] ids) view returns (uint256[])",
  "function claimedBalanceOf(address holder, uint256 id) view returns (uint256)",
  "function isProvisional(uint256 id) view returns (bool)",
]);
