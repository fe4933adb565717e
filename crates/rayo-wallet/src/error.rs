//! The wallet's error type.

use bitcoin::{Amount, BlockHash, Network, OutPoint};

use crate::keys::AddressType;
use crate::wallet::BlockId;

/// Why a wallet operation did nothing. The wallet state is unchanged when
/// one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// The spendable coins do not cover the outputs and the fee.
    #[error("insufficient funds: need {needed} (outputs and fee), have {available} spendable")]
    InsufficientFunds {
        /// Outputs plus the fee of spending every spendable coin.
        needed: Amount,
        /// Value of the coins that could be spent.
        available: Amount,
    },
    /// An output would be below the dust limit of its script.
    #[error("output of {amount} is dust: the minimum for its script is {minimum}")]
    Dust {
        /// The output's amount.
        amount: Amount,
        /// The smallest amount the script accepts (Core's dust rule at
        /// 3 sat/vB).
        minimum: Amount,
    },
    /// A payment with no outputs.
    #[error("no recipients")]
    NoRecipients,
    /// Amounts or the fee overflowed (absurd amounts or fee rate).
    #[error("amount overflow")]
    AmountOverflow,
    /// The block does not extend the wallet's tip: call
    /// [`crate::Wallet::disconnect_to`] with the fork height first.
    #[error("block at height {height} (parent {prev_blockhash}) does not connect to the wallet tip {} at height {}", tip.hash, tip.height)]
    BlockDoesNotConnect {
        /// The wallet's tip.
        tip: BlockId,
        /// The height given for the block.
        height: u32,
        /// The block's parent.
        prev_blockhash: BlockHash,
    },
    /// BIP32 derivation failed (an invalid child key; about 2^-127 odds).
    #[error("key derivation: {0}")]
    Derivation(#[from] bitcoin::bip32::Error),
    /// The master key is for another kind of network than the wallet.
    #[error("the master key is not for {0}")]
    NetworkMismatch(Network),
    /// A keychain has no more non-hardened indexes.
    #[error("no more {kind} addresses on keychain {}", u8::from(*change))]
    IndexExhausted {
        /// Address type.
        kind: AddressType,
        /// Change keychain.
        change: bool,
    },
    /// An input asked for is not an unspent output of the wallet.
    #[error("{0} is not an unspent output of the wallet")]
    UnknownInput(OutPoint),
    /// An input asked for is locked.
    #[error("{0} is locked")]
    LockedInput(OutPoint),
    /// An input asked for is a coinbase output not yet 100 blocks deep.
    #[error("{0} is an immature coinbase output")]
    ImmatureInput(OutPoint),
    /// An input asked for twice.
    #[error("{0} is listed twice")]
    DuplicateInput(OutPoint),
    /// Signing: the input's script is not the one the wallet derives at its
    /// derivation path.
    #[error("input {0} does not pay a script of this wallet")]
    ForeignInput(OutPoint),
    /// Signing: the spend's inputs and its transaction disagree.
    #[error("malformed spend: {0}")]
    MalformedSpend(&'static str),
    /// Signing: a sighash could not be computed.
    #[error("sighash: {0}")]
    Sighash(String),
}
