// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/**
 * @title ReservationLog
 * @notice On-chain record of buyer reservations: who buys, the generation window, the target, and
 * which devices are reserved. D-REC issuance is checked against it.
 * @dev A device belongs to at most one reservation at a time, and the generation windows a device
 * is reserved for never overlap, so one device's output cannot be sold to two buyers. After a
 * device is released it is held for {releaseHoldPeriod} before another reservation may take it.
 */
abstract contract ReservationLog {
    using SafeCast for uint256;

    enum Frequency {
        Hourly,
        Daily,
        Weekly,
        Monthly,
        Quarterly
    }

    enum Standard {
        DRec,
        IRec
    }

    enum EndReason {
        Ended,
        TargetReached
    }

    /// @dev Two slots: the first is read on every issuance, the second read and written.
    struct Reservation {
        address buyer;
        uint40 start;
        uint40 end;
        Frequency frequency;
        Standard standard;
        uint96 targetWh;
        uint96 issuedWh;
        uint40 endedAt;
        bool canExceedTarget;
    }

    mapping(bytes32 reservationId => Reservation) private _reservations;
    mapping(bytes32 device => bytes32 reservationId) private _deviceReservation;
    mapping(bytes32 device => uint256 releasedAt) private _deviceReleasedAt;
    uint64 private _releaseHoldPeriod = 12 hours;

    event ReservationCreated(
        bytes32 indexed reservationId,
        address indexed buyer,
        uint40 start,
        uint40 end,
        Frequency frequency,
        Standard standard,
        uint96 targetWh,
        bool canExceedTarget
    );
    event DeviceAdded(bytes32 indexed reservationId, bytes32 indexed device);
    event DeviceRemoved(bytes32 indexed reservationId, bytes32 indexed device, uint256 releasedAt);
    event ReservationEnded(bytes32 indexed reservationId, EndReason reason, uint256 endedAt);
    event ReleaseHoldPeriodChanged(uint64 period);

    error ReservationExists(bytes32 reservationId);
    error UnknownReservation(bytes32 reservationId);
    error ReservationNotActive(bytes32 reservationId);
    error InvalidReservation(bytes32 reservationId);
    error DeviceAlreadyReserved(bytes32 device, bytes32 reservationId);
    error DeviceOnHold(bytes32 device, uint256 availableAt);
    error DeviceWindowOverlap(bytes32 device, uint256 releasedAt);
    error DeviceNotInReservation(bytes32 device, bytes32 reservationId);
    error RecipientNotBuyer(bytes32 reservationId, address recipient, address buyer);
    error PeriodOutsideReservation(bytes32 reservationId, uint64 start, uint64 end);
    error TargetExceeded(bytes32 reservationId, uint256 targetWh, uint256 wouldIssueWh);

    /// @dev Access control for recording; implemented by the registry with its roles.
    function _checkCanRecordReservations() internal view virtual;

    /// @dev Access control for changing the hold period.
    function _checkCanConfigure() internal view virtual;

    /**
     * @notice Records a new reservation and its initial devices.
     * @param reservationId The platform's id for the reservation (unique, not zero).
     * @param buyer The buyer's wallet: D-REC certificates of this reservation can only go there.
     * @param start First second of the generation window (unix time).
     * @param end End of the generation window, exclusive (unix time, after `start`).
     * @param frequency How often certificates are issued; fixed for the reservation's life.
     * @param standard D-REC or I-REC.
     * @param targetWh Target volume in Wh (more than zero).
     * @param canExceedTarget When false, issuance stops at the target and the reservation ends there.
     * @param devices Devices to reserve; each emits {DeviceAdded}.
     */
    function createReservation(
        bytes32 reservationId,
        address buyer,
        uint40 start,
        uint40 end,
        Frequency frequency,
        Standard standard,
        uint96 targetWh,
        bool canExceedTarget,
        bytes32[] calldata devices
    ) external {
        _checkCanRecordReservations();
        if (reservationId == bytes32(0) || buyer == address(0) || end <= start || targetWh == 0) {
            revert InvalidReservation(reservationId);
        }
        Reservation storage r = _reservations[reservationId];
        if (r.buyer != address(0)) revert ReservationExists(reservationId);
        r.buyer = buyer;
        r.start = start;
        r.end = end;
        r.frequency = frequency;
        r.standard = standard;
        r.targetWh = targetWh;
        r.canExceedTarget = canExceedTarget;
        emit ReservationCreated(reservationId, buyer, start, end, frequency, standard, targetWh, canExceedTarget);
        _addDevices(reservationId, start, devices);
    }

    /**
     * @notice Adds devices to an active reservation.
     * @dev Reverts with {DeviceAlreadyReserved}, {DeviceOnHold} or {DeviceWindowOverlap} when a device is
     * not free for this reservation's window.
     */
    function addDevices(bytes32 reservationId, bytes32[] calldata devices) external {
        _checkCanRecordReservations();
        Reservation storage r = _activeReservation(reservationId);
        _addDevices(reservationId, r.start, devices);
    }

    /// @notice Removes devices from an active reservation; each is released now and then held.
    function removeDevices(bytes32 reservationId, bytes32[] calldata devices) external {
        _checkCanRecordReservations();
        Reservation storage r = _activeReservation(reservationId);
        uint256 releasedAt = _min(block.timestamp, r.end);
        for (uint256 i = 0; i < devices.length; ++i) {
            bytes32 device = devices[i];
            if (_deviceReservation[device] != reservationId) revert DeviceNotInReservation(device, reservationId);
            delete _deviceReservation[device];
            _deviceReleasedAt[device] = releasedAt;
            emit DeviceRemoved(reservationId, device, releasedAt);
        }
    }

    /// @notice Ends an active reservation, releasing all its devices at once.
    function endReservation(bytes32 reservationId) external {
        _checkCanRecordReservations();
        _end(reservationId, _activeReservation(reservationId), EndReason.Ended);
    }

    /// @notice Sets how long a released device waits before another reservation may take it.
    function setReleaseHoldPeriod(uint64 period) external {
        _checkCanConfigure();
        _releaseHoldPeriod = period;
        emit ReleaseHoldPeriodChanged(period);
    }

    /// @notice The reservation record; `buyer` is zero when it does not exist.
    function getReservation(bytes32 reservationId) external view returns (Reservation memory) {
        return _reservations[reservationId];
    }

    /**
     * @notice Where a device stands.
     * @return reservationId The reservation it was last added to (zero if removed since).
     * @return availableAt When another reservation may take it (zero if never reserved).
     */
    function deviceStatus(bytes32 device) external view returns (bytes32 reservationId, uint256 availableAt) {
        reservationId = _deviceReservation[device];
        uint256 releasedAt = _releasedAt(device, reservationId);
        availableAt = releasedAt == 0 ? 0 : releasedAt + _releaseHoldPeriod;
    }

    /// @notice How long a released device is held before it can be reserved again, in seconds.
    function releaseHoldPeriod() external view returns (uint64) {
        return _releaseHoldPeriod;
    }

    /**
     * @dev Checks a D-REC certificate against its reservation and counts it towards the target; ends
     * the reservation when a target without authority to exceed is met exactly.
     * @return provisional Whether the reservation is for I-REC, whose certificates wait for serials.
     */
    function _recordReservationIssuance(
        bytes32 reservationId,
        address recipient,
        uint64 start,
        uint64 end,
        uint256 amount
    ) internal returns (bool provisional) {
        Reservation storage r = _reservations[reservationId];
        address buyer = r.buyer;
        if (buyer == address(0)) revert UnknownReservation(reservationId);
        if (recipient != buyer) revert RecipientNotBuyer(reservationId, recipient, buyer);
        uint256 windowEnd = r.endedAt == 0 ? r.end : r.endedAt;
        if (start < r.start || end > windowEnd) revert PeriodOutsideReservation(reservationId, start, end);
        uint256 issued = r.issuedWh + amount;
        bool capped = !r.canExceedTarget;
        if (capped && issued > r.targetWh) revert TargetExceeded(reservationId, r.targetWh, issued);
        r.issuedWh = issued.toUint96();
        // A reservation already ended (e.g. early, by the recorder) keeps its end: certifying generation from
        // before that end must not move it, which would widen its window and put released devices back on hold.
        if (capped && issued == r.targetWh && r.endedAt == 0) _end(reservationId, r, EndReason.TargetReached);
        return r.standard == Standard.IRec;
    }

    function _addDevices(bytes32 reservationId, uint256 windowStart, bytes32[] calldata devices) private {
        for (uint256 i = 0; i < devices.length; ++i) {
            bytes32 device = devices[i];
            bytes32 current = _deviceReservation[device];
            uint256 releasedAt = _releasedAt(device, current);
            if (releasedAt != 0) {
                if (block.timestamp < releasedAt) revert DeviceAlreadyReserved(device, current);
                uint256 availableAt = releasedAt + _releaseHoldPeriod;
                if (block.timestamp < availableAt) revert DeviceOnHold(device, availableAt);
                if (windowStart < releasedAt) revert DeviceWindowOverlap(device, releasedAt);
            }
            _deviceReservation[device] = reservationId;
            emit DeviceAdded(reservationId, device);
        }
    }

    /// @dev When the device left (or will leave) its last reservation; zero if it was never reserved.
    function _releasedAt(bytes32 device, bytes32 current) private view returns (uint256) {
        if (current == bytes32(0)) return _deviceReleasedAt[device];
        Reservation storage r = _reservations[current];
        return r.endedAt == 0 ? r.end : r.endedAt;
    }

    function _activeReservation(bytes32 reservationId) private view returns (Reservation storage r) {
        r = _reservations[reservationId];
        if (r.buyer == address(0)) revert UnknownReservation(reservationId);
        if (r.endedAt != 0) revert ReservationNotActive(reservationId);
    }

    function _end(bytes32 reservationId, Reservation storage r, EndReason reason) private {
        // Never zero: `end` is after `start`, so at least 1, and block time is positive.
        uint256 endedAt = _min(block.timestamp, r.end);
        r.endedAt = endedAt.toUint40();
        emit ReservationEnded(reservationId, reason, endedAt);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
