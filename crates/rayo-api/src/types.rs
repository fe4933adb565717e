//! Request and response bodies of the REST API, with lnd's field names and
//! proto3 JSON encodings (see [`crate::encoding`]): 64-bit integers are JSON
//! strings, 32-bit integers numbers, `bytes` base64 and enums their names.
//!
//! Every struct reads missing fields as their default (lnd's gateway omits
//! nothing, but older or other servers may) and ignores unknown fields, so a
//! client keeps working against a newer lnd. Writing emits every field, as lnd
//! does.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::encoding::{bytes_base64, int32_number, int64_string, null_as_default};

/// A name or number that is not a value of a protobuf enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {enum_name} value {value:?}, expected one of: {expected}")]
pub struct UnknownEnumValue {
    /// The enum's lnd name, e.g. `AddressType`.
    pub enum_name: &'static str,
    /// What was given.
    pub value: String,
    /// The accepted names, comma separated.
    pub expected: String,
}

/// Defines a protobuf enum: written as its name, read from its name, an alias,
/// or its number (as a JSON number or a decimal string), `null` being the
/// default (value 0).
macro_rules! proto_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($proto:literal) default $default:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $num:literal => $text:literal $(| $alias:literal)*,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
        }

        impl $name {
            /// Every value, in number order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The protobuf number.
            pub const fn number(self) -> i32 {
                match self {
                    $($name::$variant => $num,)+
                }
            }

            /// The value with this protobuf number.
            pub const fn from_number(number: i32) -> Option<Self> {
                match number {
                    $($num => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The protobuf name, as written in JSON.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value with this protobuf name or alias.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text $(| $alias)* => Some($name::$variant),)+
                    _ => None,
                }
            }

            fn unknown(value: impl fmt::Display) -> UnknownEnumValue {
                UnknownEnumValue {
                    enum_name: $proto,
                    value: value.to_string(),
                    expected: [$($text $(, $alias)*),+].join(", "),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $name {
            type Err = UnknownEnumValue;

            /// Accepts the name, an alias, or the number in decimal.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if let Some(value) = Self::from_name(s) {
                    return Ok(value);
                }
                s.parse::<i32>()
                    .ok()
                    .and_then(Self::from_number)
                    .ok_or_else(|| Self::unknown(s))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct EnumVisitor;

                impl<'de> serde::de::Visitor<'de> for EnumVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "a {} name or number", $proto)
                    }

                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        v.parse().map_err(E::custom)
                    }

                    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<$name, E> {
                        i32::try_from(v)
                            .ok()
                            .and_then($name::from_number)
                            .ok_or_else(|| E::custom($name::unknown(v)))
                    }

                    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<$name, E> {
                        i32::try_from(v)
                            .ok()
                            .and_then($name::from_number)
                            .ok_or_else(|| E::custom($name::unknown(v)))
                    }

                    fn visit_unit<E: serde::de::Error>(self) -> Result<$name, E> {
                        Ok($name::default())
                    }
                }

                d.deserialize_any(EnumVisitor)
            }
        }
    };
}

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

proto_enum! {
    /// lnd's `Peer.SyncType`: how we sync gossip with a peer.
    PeerSyncType ("Peer.SyncType") default UnknownSync {
        /// Not known (Rayo before gossip sync).
        UnknownSync = 0 => "UNKNOWN_SYNC",
        /// We receive new graph updates from this peer.
        ActiveSync = 1 => "ACTIVE_SYNC",
        /// We do not receive new graph updates from this peer.
        PassiveSync = 2 => "PASSIVE_SYNC",
        /// The peer is pinned into an active sync.
        PinnedSync = 3 => "PINNED_SYNC",
    }
}

proto_enum! {
    /// gRPC status codes, as lnd's error body carries them in `code`.
    GrpcCode ("grpc code") default Ok {
        /// Not an error.
        Ok = 0 => "OK",
        /// The caller cancelled.
        Cancelled = 1 => "CANCELLED",
        /// An error with no better code (lnd uses it for most failures).
        Unknown = 2 => "UNKNOWN",
        /// A bad parameter: the message says which.
        InvalidArgument = 3 => "INVALID_ARGUMENT",
        /// A deadline passed.
        DeadlineExceeded = 4 => "DEADLINE_EXCEEDED",
        /// Something named in the request does not exist.
        NotFound = 5 => "NOT_FOUND",
        /// What the request would create exists already.
        AlreadyExists = 6 => "ALREADY_EXISTS",
        /// The caller may not do this.
        PermissionDenied = 7 => "PERMISSION_DENIED",
        /// Out of some resource.
        ResourceExhausted = 8 => "RESOURCE_EXHAUSTED",
        /// The node is not in a state that allows this (e.g. not enough funds).
        FailedPrecondition = 9 => "FAILED_PRECONDITION",
        /// Aborted, e.g. by a conflict.
        Aborted = 10 => "ABORTED",
        /// A value past the valid range.
        OutOfRange = 11 => "OUT_OF_RANGE",
        /// Not implemented.
        Unimplemented = 12 => "UNIMPLEMENTED",
        /// A bug or broken invariant in the node.
        Internal = 13 => "INTERNAL",
        /// The service is not available right now (e.g. still starting).
        Unavailable = 14 => "UNAVAILABLE",
        /// Unrecoverable data loss.
        DataLoss = 15 => "DATA_LOSS",
        /// Missing or wrong access token.
        Unauthenticated = 16 => "UNAUTHENTICATED",
    }
}

impl GrpcCode {
    /// The HTTP status grpc-gateway answers with for this code.
    pub const fn http_status(self) -> u16 {
        match self {
            GrpcCode::Ok => 200,
            GrpcCode::Cancelled => 499,
            GrpcCode::Unknown => 500,
            GrpcCode::InvalidArgument => 400,
            GrpcCode::DeadlineExceeded => 504,
            GrpcCode::NotFound => 404,
            GrpcCode::AlreadyExists => 409,
            GrpcCode::PermissionDenied => 403,
            GrpcCode::ResourceExhausted => 429,
            GrpcCode::FailedPrecondition => 400,
            GrpcCode::Aborted => 409,
            GrpcCode::OutOfRange => 400,
            GrpcCode::Unimplemented => 501,
            GrpcCode::Internal => 500,
            GrpcCode::Unavailable => 503,
            GrpcCode::DataLoss => 500,
            GrpcCode::Unauthenticated => 401,
        }
    }

    /// A code for an HTTP error status that came without a usable body.
    pub const fn from_http_status(status: u16) -> Self {
        match status {
            400 => GrpcCode::InvalidArgument,
            401 => GrpcCode::Unauthenticated,
            403 => GrpcCode::PermissionDenied,
            404 => GrpcCode::NotFound,
            409 => GrpcCode::Aborted,
            429 => GrpcCode::ResourceExhausted,
            499 => GrpcCode::Cancelled,
            501 => GrpcCode::Unimplemented,
            503 => GrpcCode::Unavailable,
            504 => GrpcCode::DeadlineExceeded,
            _ => GrpcCode::Unknown,
        }
    }
}

/// lnd's error body (`rpcStatus`), sent with the HTTP status of
/// [`GrpcCode::http_status`]: `{"code": 3, "message": "...", "details": []}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Status {
    /// The gRPC code as a number (see [`GrpcCode`]).
    #[serde(with = "int32_number")]
    pub code: i32,
    /// What went wrong, for a person.
    pub message: String,
    /// `google.protobuf.Any` details; lnd sends none.
    pub details: Vec<serde_json::Value>,
}

impl Status {
    /// An error body with this code and message and no details.
    pub fn new(code: GrpcCode, message: impl Into<String>) -> Self {
        Status {
            code: code.number(),
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// The code as a [`GrpcCode`] (`Unknown` for a number that is not one).
    pub fn grpc_code(&self) -> GrpcCode {
        GrpcCode::from_number(self.code).unwrap_or(GrpcCode::Unknown)
    }

    /// The HTTP status to answer with.
    pub fn http_status(&self) -> u16 {
        self.grpc_code().http_status()
    }
}

/// A feature bit's description, the value of `features` maps keyed by bit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Feature {
    /// The feature's name, e.g. `data-loss-protect`.
    pub name: String,
    /// Whether the bit is the required (even) one.
    pub is_required: bool,
    /// Whether we know this feature.
    pub is_known: bool,
}

/// Feature bits keyed by bit number (JSON object keys are the decimal bit).
pub type FeatureMap = BTreeMap<u32, Feature>;

/// A chain the node is on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Chain {
    /// The chain, `bitcoin`.
    pub chain: String,
    /// The network: `regtest`, `signet`, `testnet` or `mainnet`.
    pub network: String,
}

/// `GET /v1/getinfo`: `GetInfoResponse`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GetInfoResponse {
    /// The node software's version.
    pub version: String,
    /// The commit the node was built from.
    pub commit_hash: String,
    /// The node's identity public key, hex (33 bytes compressed).
    pub identity_pubkey: String,
    /// The node's alias.
    pub alias: String,
    /// The node's color, `#rrggbb`.
    pub color: String,
    /// Channels being opened.
    #[serde(with = "int32_number")]
    pub num_pending_channels: u32,
    /// Open channels whose peer is online.
    #[serde(with = "int32_number")]
    pub num_active_channels: u32,
    /// Open channels whose peer is offline.
    #[serde(with = "int32_number")]
    pub num_inactive_channels: u32,
    /// Connected peers.
    #[serde(with = "int32_number")]
    pub num_peers: u32,
    /// Height of the best block the node knows.
    #[serde(with = "int32_number")]
    pub block_height: u32,
    /// Hash of that block, hex.
    pub block_hash: String,
    /// That block's timestamp, Unix seconds.
    #[serde(with = "int64_string")]
    pub best_header_timestamp: i64,
    /// Whether the wallet has caught up with the chain.
    pub synced_to_chain: bool,
    /// Whether the node has caught up with the channel graph.
    pub synced_to_graph: bool,
    /// Deprecated: whether the network is testnet (use `chains`).
    pub testnet: bool,
    /// The chains the node is on (one).
    pub chains: Vec<Chain>,
    /// `pubkey@host:port` addresses where the node accepts peers.
    pub uris: Vec<String>,
    /// Features the node advertises.
    pub features: FeatureMap,
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

/// A Lightning node's network address: `pubkey` at `host`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LightningAddress {
    /// The node's identity public key, hex.
    pub pubkey: String,
    /// `host:port` (the port defaults to 9735 when missing).
    pub host: String,
}

/// `POST /v1/peers` body: `ConnectPeerRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectPeerRequest {
    /// Whom to connect to.
    #[serde(deserialize_with = "null_as_default")]
    pub addr: LightningAddress,
    /// Keep reconnecting in the background instead of connecting now.
    pub perm: bool,
    /// Connection timeout in seconds (0: the node's default).
    #[serde(with = "int64_string")]
    pub timeout: u64,
}

/// `POST /v1/peers`: `ConnectPeerResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectPeerResponse {
    /// What happened, for a person (lnd 0.18+; empty from older lnd).
    pub status: String,
}

/// An error a peer sent us.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimestampedError {
    /// When, Unix seconds.
    #[serde(with = "int64_string")]
    pub timestamp: u64,
    /// The error's text.
    pub error: String,
}

/// A connected peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Peer {
    /// The peer's identity public key, hex.
    pub pub_key: String,
    /// The peer's network address, `host:port`.
    pub address: String,
    /// Bytes sent to the peer.
    #[serde(with = "int64_string")]
    pub bytes_sent: u64,
    /// Bytes received from the peer.
    #[serde(with = "int64_string")]
    pub bytes_recv: u64,
    /// Satoshis sent to the peer over channels.
    #[serde(with = "int64_string")]
    pub sat_sent: i64,
    /// Satoshis received from the peer over channels.
    #[serde(with = "int64_string")]
    pub sat_recv: i64,
    /// Whether the peer connected to us.
    pub inbound: bool,
    /// Last ping round trip in microseconds.
    #[serde(with = "int64_string")]
    pub ping_time: i64,
    /// How we sync gossip with the peer.
    pub sync_type: PeerSyncType,
    /// Features from the peer's `init`.
    pub features: FeatureMap,
    /// The latest errors from the peer (at most 10).
    pub errors: Vec<TimestampedError>,
    /// How often the peer went offline or came online.
    #[serde(with = "int32_number")]
    pub flap_count: i32,
    /// When the peer last flapped, Unix nanoseconds; 0 if never.
    #[serde(with = "int64_string")]
    pub last_flap_ns: i64,
    /// The payload of the peer's last ping (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub last_ping_payload: Vec<u8>,
}

/// `GET /v1/peers`: `ListPeersResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListPeersResponse {
    /// The connected peers.
    pub peers: Vec<Peer>,
}

/// `DELETE /v1/peers/{pub_key}`: `DisconnectPeerResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DisconnectPeerResponse {
    /// What happened, for a person (lnd 0.18+; empty from older lnd).
    pub status: String,
}

/// `POST /v1/stop` body: `StopRequest` (empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopRequest {}

/// `POST /v1/stop`: `StopResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StopResponse {
    /// What happened, for a person (lnd 0.18+; empty from older lnd).
    pub status: String,
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
    fn enum_numbers_round_trip() {
        for &t in AddressType::ALL {
            assert_eq!(AddressType::from_number(t.number()), Some(t));
            assert_eq!(AddressType::from_name(t.name()), Some(t));
        }
        for &t in GrpcCode::ALL {
            assert_eq!(GrpcCode::from_number(t.number()), Some(t));
        }
        assert_eq!(GrpcCode::Unauthenticated.number(), 16);
        assert_eq!(GrpcCode::FailedPrecondition.http_status(), 400);
        assert_eq!(GrpcCode::Unavailable.http_status(), 503);
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
    fn getinfo_reads_an_lnd_shaped_answer() {
        let lnd = r##"{
            "version": "0.18.3-beta commit=v0.18.3-beta",
            "commit_hash": "abc",
            "identity_pubkey": "02aa",
            "alias": "bob",
            "color": "#3399ff",
            "num_pending_channels": 0,
            "num_active_channels": 1,
            "num_inactive_channels": 0,
            "num_peers": 2,
            "block_height": 403,
            "block_hash": "00ff",
            "best_header_timestamp": "1700000000",
            "synced_to_chain": true,
            "synced_to_graph": false,
            "testnet": false,
            "chains": [{"chain": "bitcoin", "network": "regtest"}],
            "uris": ["02aa@127.0.0.1:9735"],
            "features": {"0": {"name": "data-loss-protect", "is_required": true, "is_known": true}},
            "require_htlc_interceptor": false,
            "store_final_htlc_resolutions": false
        }"##;
        let info: GetInfoResponse = serde_json::from_str(lnd).unwrap();
        assert_eq!(info.num_peers, 2);
        assert_eq!(info.block_height, 403);
        assert_eq!(info.best_header_timestamp, 1_700_000_000);
        assert_eq!(info.chains[0].network, "regtest");
        assert!(info.features[&0].is_required);
        let back = serde_json::to_value(&info).unwrap();
        assert_eq!(back["best_header_timestamp"], "1700000000");
        assert_eq!(back["num_peers"], 2);
        assert_eq!(back["features"]["0"]["name"], "data-loss-protect");
    }

    #[test]
    fn utxo_and_peer_encodings() {
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

        let peer = Peer {
            pub_key: "02bb".into(),
            bytes_sent: 1234,
            ping_time: 250,
            sync_type: PeerSyncType::PassiveSync,
            last_ping_payload: vec![1, 2, 3],
            ..Default::default()
        };
        let json = serde_json::to_value(&peer).unwrap();
        assert_eq!(json["bytes_sent"], "1234");
        assert_eq!(json["ping_time"], "250");
        assert_eq!(json["sync_type"], "PASSIVE_SYNC");
        assert_eq!(json["flap_count"], 0);
        assert_eq!(json["last_ping_payload"], "AQID");
        assert_eq!(serde_json::from_value::<Peer>(json).unwrap(), peer);
    }

    #[test]
    fn send_coins_and_connect_requests() {
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

        let connect: ConnectPeerRequest = serde_json::from_str(
            r#"{"addr": {"pubkey": "02cc", "host": "127.0.0.1:9736"}, "perm": false, "timeout": "30"}"#,
        )
        .unwrap();
        assert_eq!(connect.addr.host, "127.0.0.1:9736");
        assert_eq!(connect.timeout, 30);
    }

    #[test]
    fn status_body_is_lnds() {
        let status = Status::new(GrpcCode::InvalidArgument, "invalid address type");
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            r#"{"code":3,"message":"invalid address type","details":[]}"#
        );
        assert_eq!(status.http_status(), 400);
        let read: Status = serde_json::from_str(r#"{"code": 16, "message": "no token"}"#).unwrap();
        assert_eq!(read.grpc_code(), GrpcCode::Unauthenticated);
        assert_eq!(
            Status {
                code: 99,
                ..Default::default()
            }
            .grpc_code(),
            GrpcCode::Unknown
        );
    }
}
