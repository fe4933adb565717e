//! The on-chain wallet: `newaddress`, `walletbalance`, `listunspent`,
//! `sendcoins` and `listchaintxns`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::encoding::{bytes_base64, int32_number, int64_string, null_as_default};

proto_enum! {
    /// lnd's `AddressType`: the kind of address `newaddress` makes and a UTXO
    /// pays to. Also read from lncli's names `p2wkh`, `np2wkh` and `p2tr`.
    AddressType ("AddressType") default WitnessPubkeyHash {
        /// Native segwit v0, p2wkh (`bcrt1q...`).
        WitnessPubkeyHash = 0 => "WITNESS_PUBKEY_HASH" | "p2wkh",
        /// Segwit v0 nested in p2sh, np2wkh (`2...` on regtest).
        NestedPubkeyHash = 1 => "NESTED_PUBKEY_HASH" | "np2wkh",
        /// An unused p2wkh address if there is one, else a new one.
        UnusedWitnessPubkeyHash = 2 => "UNUSED_WITNESS_PUBKEY_HASH",
        /// An unused np2wkh address if there is one, else a new one.
        UnusedNestedPubkeyHash = 3 => "UNUSED_NESTED_PUBKEY_HASH",
        /// Taproot, p2tr (`bcrt1p...`).
        TaprootPubkey = 4 => "TAPROOT_PUBKEY" | "p2tr",
        /// An unused p2tr address if there is one, else a new one.
        UnusedTaprootPubkey = 5 => "UNUSED_TAPROOT_PUBKEY",
    }
}

proto_enum! {
    /// lnd's `OutputScriptType`: the script kind of a transaction output.
    OutputScriptType ("OutputScriptType") default PubkeyHash {
        /// p2pkh.
        PubkeyHash = 0 => "SCRIPT_TYPE_PUBKEY_HASH",
        /// p2sh.
        ScriptHash = 1 => "SCRIPT_TYPE_SCRIPT_HASH",
        /// p2wkh.
        WitnessV0PubkeyHash = 2 => "SCRIPT_TYPE_WITNESS_V0_PUBKEY_HASH",
        /// p2wsh.
        WitnessV0ScriptHash = 3 => "SCRIPT_TYPE_WITNESS_V0_SCRIPT_HASH",
        /// Bare public key.
        Pubkey = 4 => "SCRIPT_TYPE_PUBKEY",
        /// Bare multisig.
        Multisig = 5 => "SCRIPT_TYPE_MULTISIG",
        /// OP_RETURN.
        Nulldata = 6 => "SCRIPT_TYPE_NULLDATA",
        /// Anything else.
        NonStandard = 7 => "SCRIPT_TYPE_NON_STANDARD",
        /// A witness program of an unknown version.
        WitnessUnknown = 8 => "SCRIPT_TYPE_WITNESS_UNKNOWN",
        /// p2tr.
        WitnessV1Taproot = 9 => "SCRIPT_TYPE_WITNESS_V1_TAPROOT",
    }
}

/// `GET /v1/newaddress` query: `NewAddressRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewAddressRequest {
    /// The address kind, query `type` (name, number or lncli name).
    #[serde(rename = "type")]
    pub address_type: AddressType,
    /// The wallet account; empty for the default one.
    pub account: String,
}

/// `GET /v1/newaddress`: `NewAddressResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewAddressResponse {
    /// The new address.
    pub address: String,
}

/// One account's balance in a [`WalletBalanceResponse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WalletAccountBalance {
    /// Satoshis with at least one confirmation.
    #[serde(with = "int64_string")]
    pub confirmed_balance: i64,
    /// Satoshis with no confirmation.
    #[serde(with = "int64_string")]
    pub unconfirmed_balance: i64,
}

/// `GET /v1/balance/blockchain`: `WalletBalanceResponse`, in satoshis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WalletBalanceResponse {
    /// Confirmed plus unconfirmed.
    #[serde(with = "int64_string")]
    pub total_balance: i64,
    /// With at least one confirmation.
    #[serde(with = "int64_string")]
    pub confirmed_balance: i64,
    /// With no confirmation.
    #[serde(with = "int64_string")]
    pub unconfirmed_balance: i64,
    /// In outputs locked for other use (e.g. a channel funding in progress).
    #[serde(with = "int64_string")]
    pub locked_balance: i64,
    /// Kept back to fee-bump anchor channels.
    #[serde(with = "int64_string")]
    pub reserved_balance_anchor_chan: i64,
    /// Balance per wallet account, keyed by account name.
    pub account_balance: BTreeMap<String, WalletAccountBalance>,
}

/// `GET /v1/utxos` query: `ListUnspentRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListUnspentRequest {
    /// Minimum confirmations of the outputs listed.
    #[serde(with = "int32_number")]
    pub min_confs: i32,
    /// Maximum confirmations of the outputs listed.
    #[serde(with = "int32_number")]
    pub max_confs: i32,
    /// The wallet account; empty for all.
    pub account: String,
}

/// A transaction output reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutPoint {
    /// The txid's raw bytes (internal byte order), base64 in JSON.
    #[serde(with = "bytes_base64")]
    pub txid_bytes: Vec<u8>,
    /// The txid as usually shown: hex of the reversed bytes.
    pub txid_str: String,
    /// The output's index in the transaction.
    #[serde(with = "int32_number")]
    pub output_index: u32,
}

/// An unspent output of the wallet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Utxo {
    /// The kind of address it pays to.
    pub address_type: AddressType,
    /// The address it pays to.
    pub address: String,
    /// Its value in satoshis.
    #[serde(with = "int64_string")]
    pub amount_sat: i64,
    /// Its scriptPubKey, hex.
    pub pk_script: String,
    /// Where it is.
    #[serde(deserialize_with = "null_as_default")]
    pub outpoint: OutPoint,
    /// Confirmations (0 while in the mempool).
    #[serde(with = "int64_string")]
    pub confirmations: i64,
}

/// `GET /v1/utxos`: `ListUnspentResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListUnspentResponse {
    /// The wallet's unspent outputs.
    pub utxos: Vec<Utxo>,
}

/// `POST /v1/transactions` body: `SendCoinsRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SendCoinsRequest {
    /// The address to pay.
    pub addr: String,
    /// Satoshis to send (ignored with `send_all`).
    #[serde(with = "int64_string")]
    pub amount: i64,
    /// Confirmation target in blocks for the fee estimate (0: the node's default).
    #[serde(with = "int32_number")]
    pub target_conf: i32,
    /// A fee rate in sat/vB (0: estimate from `target_conf`).
    #[serde(with = "int64_string")]
    pub sat_per_vbyte: u64,
    /// Sweep the whole wallet to `addr`.
    pub send_all: bool,
    /// A label to keep with the transaction (at most 500 characters).
    pub label: String,
    /// Minimum confirmations of the coins spent.
    #[serde(with = "int32_number")]
    pub min_confs: i32,
    /// Whether coins with no confirmation may be spent.
    pub spend_unconfirmed: bool,
}

/// `POST /v1/transactions`: `SendCoinsResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SendCoinsResponse {
    /// The txid of the broadcast transaction, hex.
    pub txid: String,
}

/// `GET /v1/transactions` query: `GetTransactionsRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GetTransactionsRequest {
    /// Lowest block height to include.
    #[serde(with = "int32_number")]
    pub start_height: i32,
    /// Highest block height to include; -1 includes unconfirmed transactions,
    /// 0 (unset) means up to the tip and unconfirmed.
    #[serde(with = "int32_number")]
    pub end_height: i32,
    /// The wallet account; empty for all.
    pub account: String,
}

/// An output of a wallet transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputDetail {
    /// The output's script kind.
    pub output_type: OutputScriptType,
    /// Its address, if the script has one.
    pub address: String,
    /// Its scriptPubKey, hex.
    pub pk_script: String,
    /// Its index in the transaction.
    #[serde(with = "int64_string")]
    pub output_index: i64,
    /// Its value in satoshis.
    #[serde(with = "int64_string")]
    pub amount: i64,
    /// Whether the wallet controls it.
    pub is_our_address: bool,
}

/// An input of a wallet transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PreviousOutPoint {
    /// The output it spends, `txid:index`.
    pub outpoint: String,
    /// Whether that output was the wallet's.
    pub is_our_output: bool,
}

/// A transaction that touches the wallet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Transaction {
    /// The txid, hex.
    pub tx_hash: String,
    /// Net effect on the wallet in satoshis (negative when spending).
    #[serde(with = "int64_string")]
    pub amount: i64,
    /// Confirmations (0 while in the mempool).
    #[serde(with = "int32_number")]
    pub num_confirmations: i32,
    /// Hash of the block that holds it, hex; empty if unconfirmed.
    pub block_hash: String,
    /// Height of that block; 0 if unconfirmed.
    #[serde(with = "int32_number")]
    pub block_height: i32,
    /// When the wallet first saw it (or its block time), Unix seconds.
    #[serde(with = "int64_string")]
    pub time_stamp: i64,
    /// Fees paid, in satoshis.
    #[serde(with = "int64_string")]
    pub total_fees: i64,
    /// Deprecated: the output addresses (see `output_details`).
    pub dest_addresses: Vec<String>,
    /// Its outputs.
    pub output_details: Vec<OutputDetail>,
    /// The whole transaction, hex.
    pub raw_tx_hex: String,
    /// The label given when it was sent.
    pub label: String,
    /// Its inputs.
    pub previous_outpoints: Vec<PreviousOutPoint>,
}

/// `GET /v1/transactions`: `TransactionDetails`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransactionDetails {
    /// The wallet's transactions.
    pub transactions: Vec<Transaction>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_type_parses_names_numbers_and_lncli_names() {
        for (text, want) in [
            ("WITNESS_PUBKEY_HASH", AddressType::WitnessPubkeyHash),
            ("0", AddressType::WitnessPubkeyHash),
            ("p2wkh", AddressType::WitnessPubkeyHash),
            ("NESTED_PUBKEY_HASH", AddressType::NestedPubkeyHash),
            ("1", AddressType::NestedPubkeyHash),
            ("np2wkh", AddressType::NestedPubkeyHash),
            ("TAPROOT_PUBKEY", AddressType::TaprootPubkey),
            ("4", AddressType::TaprootPubkey),
            ("p2tr", AddressType::TaprootPubkey),
            ("UNUSED_TAPROOT_PUBKEY", AddressType::UnusedTaprootPubkey),
        ] {
            assert_eq!(text.parse::<AddressType>(), Ok(want), "{text}");
        }
        let err = "p2pkh".parse::<AddressType>().unwrap_err();
        assert_eq!(err.value, "p2pkh");
        assert!(err.to_string().contains("NESTED_PUBKEY_HASH"), "{err}");
        assert!("6".parse::<AddressType>().is_err());
        assert!("-1".parse::<AddressType>().is_err());
        assert!("".parse::<AddressType>().is_err());
        assert!("nested_pubkey_hash".parse::<AddressType>().is_err());
    }

    #[test]
    fn newaddress_type_reads_from_json_names_and_numbers() {
        let read = |json: &str| serde_json::from_str::<NewAddressRequest>(json);
        assert_eq!(
            read(r#"{"type": "NESTED_PUBKEY_HASH"}"#)
                .unwrap()
                .address_type,
            AddressType::NestedPubkeyHash
        );
        assert_eq!(
            read(r#"{"type": 4}"#).unwrap().address_type,
            AddressType::TaprootPubkey
        );
        assert_eq!(
            read(r#"{"type": "1"}"#).unwrap().address_type,
            AddressType::NestedPubkeyHash
        );
        assert_eq!(
            read("{}").unwrap().address_type,
            AddressType::WitnessPubkeyHash
        );
        assert_eq!(
            read(r#"{"type": null}"#).unwrap().address_type,
            AddressType::WitnessPubkeyHash
        );
        assert!(read(r#"{"type": 9}"#).is_err());
        assert!(read(r#"{"type": "BOGUS"}"#).is_err());
        let written = serde_json::to_string(&NewAddressRequest {
            address_type: AddressType::NestedPubkeyHash,
            account: String::new(),
        })
        .unwrap();
        assert_eq!(written, r#"{"type":"NESTED_PUBKEY_HASH","account":""}"#);
    }

    #[test]
    fn wallet_balance_uses_strings_for_int64() {
        let balance = WalletBalanceResponse {
            total_balance: 5_000_000_000,
            confirmed_balance: 5_000_000_000,
            account_balance: [(
                "default".to_string(),
                WalletAccountBalance {
                    confirmed_balance: 5_000_000_000,
                    unconfirmed_balance: 0,
                },
            )]
            .into(),
            ..Default::default()
        };
        let json = serde_json::to_value(&balance).unwrap();
        assert_eq!(json["total_balance"], "5000000000");
        assert_eq!(json["unconfirmed_balance"], "0");
        assert_eq!(
            json["account_balance"]["default"]["confirmed_balance"],
            "5000000000"
        );
        // Plain numbers are accepted, as lnd accepts them.
        let read: WalletBalanceResponse =
            serde_json::from_str(r#"{"total_balance": 7, "confirmed_balance": "7"}"#).unwrap();
        assert_eq!((read.total_balance, read.confirmed_balance), (7, 7));
    }

    #[test]
    fn utxo_encodings() {
        let utxo = Utxo {
            address_type: AddressType::NestedPubkeyHash,
            amount_sat: 5_000_000_000,
            outpoint: OutPoint {
                txid_bytes: vec![0xab; 32],
                txid_str: "ab".repeat(32),
                output_index: 1,
            },
            confirmations: 100,
            ..Default::default()
        };
        let json = serde_json::to_value(&utxo).unwrap();
        assert_eq!(json["address_type"], "NESTED_PUBKEY_HASH");
        assert_eq!(json["amount_sat"], "5000000000");
        assert_eq!(json["confirmations"], "100");
        assert_eq!(json["outpoint"]["output_index"], 1);
        assert_eq!(
            json["outpoint"]["txid_bytes"],
            "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="
        );
        assert_eq!(serde_json::from_value::<Utxo>(json).unwrap(), utxo);
        // An unset message field may come as null.
        let bare: Utxo = serde_json::from_str(r#"{"outpoint": null, "address_type": 4}"#).unwrap();
        assert_eq!(bare.outpoint, OutPoint::default());
        assert_eq!(bare.address_type, AddressType::TaprootPubkey);
    }

    #[test]
    fn send_coins_requests() {
        let req = SendCoinsRequest {
            addr: "bcrt1qxyz".into(),
            amount: 100_000,
            sat_per_vbyte: 2,
            target_conf: 6,
            ..Default::default()
        };
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json["amount"], "100000");
        assert_eq!(json["sat_per_vbyte"], "2");
        assert_eq!(json["target_conf"], 6);
        // What an lnd REST client may send: numbers for int64, fields left out.
        let read: SendCoinsRequest =
            serde_json::from_str(r#"{"addr": "bcrt1qxyz", "amount": 100000, "send_all": false}"#)
                .unwrap();
        assert_eq!(read.amount, 100_000);
        assert_eq!(read.min_confs, 0);
    }
}
