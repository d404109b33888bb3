// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Context} from "@openzeppelin/contracts/utils/Context.sol";

/**
 * @title TransferAllowlist
 * @notice The GC registry's account whitelist: an account that enables its allowlist accepts GC
 * transfers only from senders it listed. Two accounts that list each other can trade both ways.
 * @dev Enforced in the token's transfer hook, so a direct wallet transfer cannot bypass it.
 */
abstract contract TransferAllowlist is Context {
    mapping(address account => bool) private _allowlistEnabled;
    mapping(address account => mapping(address sender => bool)) private _allowedSenders;

    event TransferAllowlistEnabled(address indexed account, bool enabled);
    event AllowedSenderSet(address indexed account, address indexed sender, bool allowed);

    error SenderNotAllowlisted(address from, address to);

    /// @notice Turns the caller's allowlist on or off for incoming GC transfers.
    function setTransferAllowlistEnabled(bool enabled) external {
        _allowlistEnabled[_msgSender()] = enabled;
        emit TransferAllowlistEnabled(_msgSender(), enabled);
    }

    /// @notice Lists or delists senders the caller accepts GC transfers from.
    function setAllowedSenders(address[] calldata senders, bool allowed) external {
        address account = _msgSender();
        for (uint256 i = 0; i < senders.length; ++i) {
            _allowedSenders[account][senders[i]] = allowed;
            emit AllowedSenderSet(account, senders[i], allowed);
        }
    }

    /// @notice Whether `account` restricts incoming GC transfers to its listed senders.
    function isTransferAllowlistEnabled(address account) public view returns (bool) {
        return _allowlistEnabled[account];
    }

    /// @notice Whether `account` listed `sender`.
    function isAllowedSender(address account, address sender) public view returns (bool) {
        return _allowedSenders[account][sender];
    }

    /// @dev True when a GC transfer from `from` to `to` must be refused.
    function _blocksGranularTransfer(address from, address to) internal view returns (bool) {
        return _allowlistEnabled[to] && !_allowedSenders[to][from];
    }
}
