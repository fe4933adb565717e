//! rayo-wallet: the node's on-chain wallet, on rust-bitcoin.
//!
//! * [`seed`]: the BIP39 mnemonic and the BIP32 master key everything
//!   derives from.
//! * [`keys`]: derivation paths (BIP84 p2wkh, BIP49 np2wkh, BIP86 p2tr
//!   accounts; the node key at lnd's `m/1017'/coin'/6'/0/0`) and
//!   [`AddressType`] with lncli's names.
//! * [`Wallet`]: one pool of coins over the three address types — derived
//!   scripts with a lookahead, the graph of relevant transactions, locks,
//!   the sync tip — with balance, unspent outputs and history derived from
//!   it; coin selection and signing ([`spend`]).
//! * [`record`]: the [`WalletRecord`]s every change returns, which the node
//!   persists and hands back to [`Wallet::restore`].
//!
//! Why our own wallet rather than BDK: the node needs three address types
//! (p2wkh, np2wkh, p2tr, as `lncli newaddress` offers) in one pool of coins
//! with one coin selector and one signer, while a BDK wallet is one
//! descriptor pair, so one address type, per wallet; and the node already
//! has its own chain client and its own storage trait, which a wallet of
//! plain records fits without an adapter. rust-bitcoin gives the hard
//! parts (BIP32, sighashes, taproot tweaks, addresses).
//!
//! Pure, like every core crate (DESIGN.md section 3): no I/O, no clock, no
//! RNG. Entropy, time, blocks and mempool transactions come in as
//! arguments; records to persist and transactions to broadcast come out.
//!
//! The node's loop, in short:
//!
//! ```text
//! seed = Seed::generate(entropy) / Seed::from_mnemonic(words, pass)
//! wallet = Wallet::restore(&seed.master_key(net)?, net, stored_records)?
//! for each new block:  store(wallet.apply_block(&block, height)?)
//!   (on BlockDoesNotConnect: find the fork with wallet.checkpoint(h),
//!    store(wallet.disconnect_to(fork)), then apply the new blocks)
//! for each mempool tx: store(wallet.apply_unconfirmed(&tx, now))
//! sendcoins:           spend = wallet.build_transaction(..)?; store(spend.records);
//!                      tx = wallet.sign(&spend)?; broadcast(tx);
//!                      store(wallet.apply_unconfirmed(&tx, now))
//! ```

pub mod error;
pub mod keys;
pub mod record;
pub mod seed;
pub mod spend;
pub mod wallet;

pub use error::WalletError;
pub use keys::{node_secret, AddressType};
pub use record::{TxStatus, WalletRecord};
pub use seed::{Seed, SeedError};
pub use spend::{input_weight, ChangeOutput, Recipients, SpendInput, UnsignedSpend};
pub use wallet::{
    Balance, BlockId, Derivation, Utxo, Wallet, WalletTx, CHECKPOINT_WINDOW, COINBASE_MATURITY,
    LOOKAHEAD,
};

#[cfg(test)]
mod tests;
