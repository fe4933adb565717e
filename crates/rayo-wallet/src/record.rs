//! What the node persists: [`WalletRecord`]s.
//!
//! Every call that changes the wallet returns the records that describe the
//! change; the node writes them (in the same store transaction as anything
//! else the change belongs to) and on start hands them back to
//! [`crate::Wallet::restore`]. Two ways to store them give the same state:
//!
//! * **Append-only log**: append every record in the order it was returned
//!   and replay the whole log in that order.
//! * **Keyed table (compacted)**: keep only the latest row per key and
//!   replay the rows in any order:
//!
//! | record | store action |
//! |---|---|
//! | `RevealedIndex { kind, change, index }` | upsert key `(kind, change)`, keeping the larger index |
//! | `Tx { tx, status }` | upsert key `txid` (the status changes over time) |
//! | `TxRemoved { txid }` | delete key `txid` |
//! | `Lock { outpoint }` | insert key `outpoint` |
//! | `Unlock { outpoint }` | delete key `outpoint` |
//! | `Block { height, hash }` | upsert key `height`; rows more than [`crate::CHECKPOINT_WINDOW`] below the highest may be deleted |
//! | `Disconnected { height }` | delete every `Block` row above `height` |
//!
//! Records serialize with serde (internally tagged by `"record"`;
//! transactions as consensus hex, hashes and outpoints as Core prints them),
//! so they can be stored as JSON or spread over columns.

use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
use bitcoin::{BlockHash, OutPoint, Transaction, Txid};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keys::AddressType;

/// Where a wallet transaction stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TxStatus {
    /// In a block of the wallet's chain.
    Confirmed {
        /// Block height.
        height: u32,
        /// Block hash.
        block_hash: BlockHash,
        /// Block header time (seconds since the epoch).
        time: u64,
    },
    /// In the mempool, or not yet broadcast and handed to the wallet.
    Unconfirmed {
        /// When it was first seen (seconds since the epoch, as the caller
        /// gave it; for a transaction that a reorg unconfirmed, the time of
        /// the block it had been in).
        first_seen: u64,
    },
}

impl TxStatus {
    /// Its block height if confirmed.
    pub fn height(&self) -> Option<u32> {
        match self {
            TxStatus::Confirmed { height, .. } => Some(*height),
            TxStatus::Unconfirmed { .. } => None,
        }
    }

    /// Whether it is in a block.
    pub fn is_confirmed(&self) -> bool {
        matches!(self, TxStatus::Confirmed { .. })
    }
}

/// One change to persist. See the module documentation for how to store
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum WalletRecord {
    /// Addresses of `kind` on this keychain are handed out (or seen used on
    /// chain) up to and including `index`.
    RevealedIndex {
        /// Address type.
        kind: AddressType,
        /// Internal (change) keychain rather than external (receive).
        change: bool,
        /// The highest revealed index.
        index: u32,
    },
    /// A transaction relevant to the wallet, new or with a new status.
    Tx {
        /// The transaction.
        #[serde(with = "tx_hex")]
        tx: Transaction,
        /// Its status.
        status: TxStatus,
    },
    /// A transaction left the wallet (replaced, conflicted, evicted, or a
    /// coinbase whose block was disconnected).
    TxRemoved {
        /// Its txid.
        txid: Txid,
    },
    /// An outpoint is locked: coin selection will not spend it.
    Lock {
        /// The outpoint.
        outpoint: OutPoint,
    },
    /// An outpoint is unlocked (explicitly, or because a block spent it).
    Unlock {
        /// The outpoint.
        outpoint: OutPoint,
    },
    /// A block was connected: the wallet is synced to it.
    Block {
        /// Height.
        height: u32,
        /// Hash.
        hash: BlockHash,
    },
    /// Every block above `height` was disconnected (a reorg).
    Disconnected {
        /// The height of the last block kept.
        height: u32,
    },
}

/// Transactions as consensus-encoded hex strings.
mod tx_hex {
    use super::*;

    pub fn serialize<S: Serializer>(tx: &Transaction, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&serialize_hex(tx))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Transaction, D::Error> {
        let hex = String::deserialize(d)?;
        deserialize_hex(&hex).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{absolute, transaction, Amount, ScriptBuf, Sequence, TxIn, TxOut, Witness};

    fn sample_tx() -> Transaction {
        Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::new(Txid::all_zeros(), 3),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::from_slice(&[[1u8; 71].as_slice(), [2u8; 33].as_slice()]),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(12_345),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
            }],
        }
    }

    #[test]
    fn records_round_trip_through_json() {
        let hash = BlockHash::from_byte_array([9u8; 32]);
        let records = vec![
            WalletRecord::RevealedIndex {
                kind: AddressType::P2tr,
                change: true,
                index: 7,
            },
            WalletRecord::Tx {
                tx: sample_tx(),
                status: TxStatus::Confirmed {
                    height: 101,
                    block_hash: hash,
                    time: 1_700_000_000,
                },
            },
            WalletRecord::Tx {
                tx: sample_tx(),
                status: TxStatus::Unconfirmed { first_seen: 5 },
            },
            WalletRecord::TxRemoved {
                txid: sample_tx().compute_txid(),
            },
            WalletRecord::Lock {
                outpoint: OutPoint::new(sample_tx().compute_txid(), 0),
            },
            WalletRecord::Unlock {
                outpoint: OutPoint::new(sample_tx().compute_txid(), 0),
            },
            WalletRecord::Block { height: 4, hash },
            WalletRecord::Disconnected { height: 3 },
        ];
        for record in records {
            let json = serde_json::to_string(&record).unwrap();
            let back: WalletRecord = serde_json::from_str(&json).unwrap();
            assert_eq!(back, record, "{json}");
        }
        let json = serde_json::to_value(WalletRecord::RevealedIndex {
            kind: AddressType::Np2wkh,
            change: false,
            index: 0,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"record": "revealed_index", "kind": "np2wkh", "change": false, "index": 0})
        );
        let json = serde_json::to_value(WalletRecord::Tx {
            tx: sample_tx(),
            status: TxStatus::Unconfirmed { first_seen: 5 },
        })
        .unwrap();
        assert_eq!(json["tx"], serialize_hex(&sample_tx()));
        assert_eq!(json["status"]["state"], "unconfirmed");
    }

    #[test]
    fn bad_stored_records_are_errors_not_panics() {
        for bad in [
            r#"{"record":"tx","tx":"zz","status":{"state":"unconfirmed","first_seen":1}}"#,
            r#"{"record":"tx","tx":"0200","status":{"state":"unconfirmed","first_seen":1}}"#,
            r#"{"record":"revealed_index","kind":"p2pkh","change":false,"index":0}"#,
            r#"{"record":"nope"}"#,
        ] {
            assert!(serde_json::from_str::<WalletRecord>(bad).is_err(), "{bad}");
        }
    }
}
