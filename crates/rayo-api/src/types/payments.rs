//! Payments: `sendpayment` / `payinvoice` (lnd's `SendPaymentSync`) and
//! `listpayments`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::encoding::{bytes_base64, bytes_base64_map, int32_number, int64_string};

/// The custom record type that carries a keysend preimage (lnd's
/// `record.KeySendType`).
pub const KEYSEND_RECORD: u64 = 5_482_373_484;

proto_enum! {
    /// lnd's `Payment.PaymentStatus`.
    PaymentStatus ("Payment.PaymentStatus") default Unknown {
        /// Deprecated by lnd: never returned.
        Unknown = 0 => "UNKNOWN",
        /// An HTLC of the payment is out.
        InFlight = 1 => "IN_FLIGHT",
        /// The payee revealed the preimage.
        Succeeded = 2 => "SUCCEEDED",
        /// It failed for good.
        Failed = 3 => "FAILED",
        /// Created, no HTLC sent yet.
        Initiated = 4 => "INITIATED",
    }
}

proto_enum! {
    /// lnd's `PaymentFailureReason`: why a payment failed.
    PaymentFailureReason ("PaymentFailureReason") default None {
        /// It has not failed (yet).
        None = 0 => "FAILURE_REASON_NONE",
        /// The payment timeout passed.
        Timeout = 1 => "FAILURE_REASON_TIMEOUT",
        /// No route to the payee (or every route failed).
        NoRoute = 2 => "FAILURE_REASON_NO_ROUTE",
        /// An error that retrying cannot fix.
        Error = 3 => "FAILURE_REASON_ERROR",
        /// The payee refused the payment details (unknown hash, wrong amount
        /// or CLTV).
        IncorrectPaymentDetails = 4 => "FAILURE_REASON_INCORRECT_PAYMENT_DETAILS",
        /// Not enough balance in our channels.
        InsufficientBalance = 5 => "FAILURE_REASON_INSUFFICIENT_BALANCE",
        /// The payment was canceled.
        Canceled = 6 => "FAILURE_REASON_CANCELED",
    }
}

/// The most fee a payment may pay: lnd's `FeeLimit`, a `oneof` of which only
/// the member set is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeeLimit {
    /// A fixed limit in satoshis.
    #[serde(with = "int64_string", skip_serializing_if = "is_zero")]
    pub fixed: i64,
    /// A fixed limit in millisatoshis.
    #[serde(with = "int64_string", skip_serializing_if = "is_zero")]
    pub fixed_msat: i64,
    /// A limit in percent of the amount.
    #[serde(with = "int64_string", skip_serializing_if = "is_zero")]
    pub percent: i64,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

/// `POST /v1/channels/transactions` body: `SendRequest` (lnd's
/// `SendPaymentSync`, which answers once the payment ended).
///
/// Either `payment_request` (an invoice; `amt` only for a zero-amount one),
/// or a keysend: `dest` (or `dest_string`), `amt` (or `amt_msat`) and the
/// preimage in `dest_custom_records` under [`KEYSEND_RECORD`]. Fields Rayo
/// does not act on (`fee_limit`: payments over a direct channel pay no fee;
/// `outgoing_chan_id`, `cltv_limit`, ...) are read so lnd clients' requests
/// parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SendRequest {
    /// The payee's node public key, 33 bytes (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub dest: Vec<u8>,
    /// Deprecated by lnd: the payee's node public key, hex.
    pub dest_string: String,
    /// The amount in satoshis. Exclusive with `amt_msat`.
    #[serde(with = "int64_string")]
    pub amt: i64,
    /// The amount in millisatoshis. Exclusive with `amt`.
    #[serde(with = "int64_string")]
    pub amt_msat: i64,
    /// The payment hash (base64 in JSON); for a keysend, SHA-256 of its
    /// preimage.
    #[serde(with = "bytes_base64")]
    pub payment_hash: Vec<u8>,
    /// Deprecated by lnd: the payment hash, hex.
    pub payment_hash_string: String,
    /// The BOLT 11 invoice to pay.
    pub payment_request: String,
    /// The final CLTV delta of a payment without an invoice.
    #[serde(with = "int32_number")]
    pub final_cltv_delta: i32,
    /// The most fee to pay; left out when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_limit: Option<FeeLimit>,
    /// The channel the payment must leave by (0: any).
    #[serde(with = "int64_string")]
    pub outgoing_chan_id: u64,
    /// The node before the payee on the route (empty: any), base64 in JSON.
    #[serde(with = "bytes_base64")]
    pub last_hop_pubkey: Vec<u8>,
    /// The highest total CLTV the route may have (0: the node's limit).
    #[serde(with = "int32_number")]
    pub cltv_limit: u32,
    /// TLV records for the payee's onion payload, by type (base64 values);
    /// [`KEYSEND_RECORD`] carries a keysend preimage.
    #[serde(with = "bytes_base64_map")]
    pub dest_custom_records: BTreeMap<u64, Vec<u8>>,
    /// Whether a payment back to this node is allowed.
    pub allow_self_payment: bool,
    /// Features assumed of the payee (lnd's `FeatureBit` values), kept as
    /// JSON.
    pub dest_features: Vec<serde_json::Value>,
    /// The payment secret of an invoice paid by hash (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub payment_addr: Vec<u8>,
}

/// The multi-path record of a final hop: lnd's `MPPRecord`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MppRecord {
    /// The invoice's payment secret (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub payment_addr: Vec<u8>,
    /// The total of the payment, in millisatoshis.
    #[serde(with = "int64_string")]
    pub total_amt_msat: i64,
}

/// The AMP record of a final hop: lnd's `AMPRecord` (never set by Rayo).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AmpRecord {
    /// This shard's share of the root seed (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub root_share: Vec<u8>,
    /// The id of the shard set (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub set_id: Vec<u8>,
    /// This shard's index.
    #[serde(with = "int32_number")]
    pub child_index: u32,
}

/// One hop of a route: lnd's `Hop`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Hop {
    /// The channel's short channel id as a number (block height << 40 |
    /// transaction index << 16 | output index).
    #[serde(with = "int64_string")]
    pub chan_id: u64,
    /// Deprecated by lnd: the channel's capacity, in satoshis.
    #[serde(with = "int64_string")]
    pub chan_capacity: i64,
    /// Deprecated by lnd: what this hop forwards, in satoshis.
    #[serde(with = "int64_string")]
    pub amt_to_forward: i64,
    /// Deprecated by lnd: the fee this hop takes, in satoshis.
    #[serde(with = "int64_string")]
    pub fee: i64,
    /// The CLTV expiry of the HTLC to this hop.
    #[serde(with = "int32_number")]
    pub expiry: u32,
    /// What this hop forwards, in millisatoshis.
    #[serde(with = "int64_string")]
    pub amt_to_forward_msat: i64,
    /// The fee this hop takes, in millisatoshis.
    #[serde(with = "int64_string")]
    pub fee_msat: i64,
    /// The hop's node public key, hex.
    pub pub_key: String,
    /// Deprecated by lnd: the payload is TLV (always, today).
    pub tlv_payload: bool,
    /// The multi-path record of a final hop paying an invoice.
    pub mpp_record: Option<MppRecord>,
    /// The AMP record (never set by Rayo).
    pub amp_record: Option<AmpRecord>,
    /// Custom TLV records for this hop (base64 values), e.g. a keysend
    /// preimage.
    #[serde(with = "bytes_base64_map")]
    pub custom_records: BTreeMap<u64, Vec<u8>>,
    /// The invoice's payment metadata (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub metadata: Vec<u8>,
    /// A blinding point of a blinded route (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub blinding_point: Vec<u8>,
    /// Encrypted data of a blinded route (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub encrypted_data: Vec<u8>,
    /// The total of a blinded payment, in millisatoshis.
    #[serde(with = "int64_string")]
    pub total_amt_msat: u64,
}

/// The route a payment took: lnd's `Route`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Route {
    /// The CLTV expiry of the HTLC to the first hop.
    #[serde(with = "int32_number")]
    pub total_time_lock: u32,
    /// Deprecated by lnd: the fees of the route, in satoshis.
    #[serde(with = "int64_string")]
    pub total_fees: i64,
    /// Deprecated by lnd: amount plus fees, in satoshis.
    #[serde(with = "int64_string")]
    pub total_amt: i64,
    /// The hops, first first.
    pub hops: Vec<Hop>,
    /// The fees of the route, in millisatoshis.
    #[serde(with = "int64_string")]
    pub total_fees_msat: i64,
    /// Amount plus fees, in millisatoshis.
    #[serde(with = "int64_string")]
    pub total_amt_msat: i64,
    /// What left over the first channel, in millisatoshis.
    #[serde(with = "int64_string")]
    pub first_hop_amount_msat: i64,
    /// Data of custom channels (lnd's aux channels), base64 in JSON.
    #[serde(with = "bytes_base64")]
    pub custom_channel_data: Vec<u8>,
}

/// `POST /v1/channels/transactions`: `SendResponse`. A payment that failed
/// is not an HTTP error: `payment_error` says why (as lnd).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SendResponse {
    /// Why the payment failed (empty when it succeeded).
    pub payment_error: String,
    /// The preimage the payee revealed: the proof of payment (base64 in
    /// JSON; empty when it failed).
    #[serde(with = "bytes_base64")]
    pub payment_preimage: Vec<u8>,
    /// The route it took (`null` when it failed).
    pub payment_route: Option<Route>,
    /// The payment hash (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub payment_hash: Vec<u8>,
}

/// An outgoing payment: lnd's `Payment`, an entry of
/// [`ListPaymentsResponse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Payment {
    /// The payment hash, hex.
    pub payment_hash: String,
    /// Deprecated by lnd: the amount, in satoshis.
    #[serde(with = "int64_string")]
    pub value: i64,
    /// Deprecated by lnd: when it was created, Unix seconds.
    #[serde(with = "int64_string")]
    pub creation_date: i64,
    /// Deprecated by lnd: the fee, in satoshis.
    #[serde(with = "int64_string")]
    pub fee: i64,
    /// The preimage, hex (all zeros while unknown).
    pub payment_preimage: String,
    /// The amount, in satoshis.
    #[serde(with = "int64_string")]
    pub value_sat: i64,
    /// The amount, in millisatoshis.
    #[serde(with = "int64_string")]
    pub value_msat: i64,
    /// The invoice paid (empty for keysend).
    pub payment_request: String,
    /// Where it is.
    pub status: PaymentStatus,
    /// The fee paid, in satoshis.
    #[serde(with = "int64_string")]
    pub fee_sat: i64,
    /// The fee paid, in millisatoshis.
    #[serde(with = "int64_string")]
    pub fee_msat: i64,
    /// When it was created, Unix nanoseconds.
    #[serde(with = "int64_string")]
    pub creation_time_ns: i64,
    /// Its HTLC attempts (lnd's `HTLCAttempt`), kept as lnd's JSON.
    pub htlcs: Vec<serde_json::Value>,
    /// Its creation order, from 1.
    #[serde(with = "int64_string")]
    pub payment_index: u64,
    /// Why it failed.
    pub failure_reason: PaymentFailureReason,
    /// Custom records sent to the first hop (base64 values).
    #[serde(with = "bytes_base64_map")]
    pub first_hop_custom_records: BTreeMap<u64, Vec<u8>>,
}

/// `GET /v1/payments` query: `ListPaymentsRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListPaymentsRequest {
    /// Also list payments that did not succeed (in flight or failed). The
    /// client always sends it; Rayo's node reads a query without it as
    /// `true`.
    pub include_incomplete: bool,
    /// The `payment_index` to start after (or, reversed, to end before); 0:
    /// the start (or the end).
    #[serde(with = "int64_string")]
    pub index_offset: u64,
    /// At most this many (0: no limit).
    #[serde(with = "int64_string")]
    pub max_payments: u64,
    /// Page backwards from `index_offset` (the list stays oldest first).
    pub reversed: bool,
    /// Count every payment in `total_num_payments`.
    pub count_total_payments: bool,
    /// Only payments created at or after this, Unix seconds (0: any).
    #[serde(with = "int64_string")]
    pub creation_date_start: u64,
    /// Only payments created at or before this, Unix seconds (0: any).
    #[serde(with = "int64_string")]
    pub creation_date_end: u64,
}

/// `GET /v1/payments`: `ListPaymentsResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListPaymentsResponse {
    /// The payments, oldest first.
    pub payments: Vec<Payment>,
    /// The `payment_index` of the first one listed.
    #[serde(with = "int64_string")]
    pub first_index_offset: u64,
    /// The `payment_index` of the last one listed.
    #[serde(with = "int64_string")]
    pub last_index_offset: u64,
    /// Every payment, when `count_total_payments` was asked (else 0).
    #[serde(with = "int64_string")]
    pub total_num_payments: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_enums_by_name_and_number() {
        for (name, number, want) in [
            ("UNKNOWN", 0, PaymentStatus::Unknown),
            ("IN_FLIGHT", 1, PaymentStatus::InFlight),
            ("SUCCEEDED", 2, PaymentStatus::Succeeded),
            ("FAILED", 3, PaymentStatus::Failed),
            ("INITIATED", 4, PaymentStatus::Initiated),
        ] {
            assert_eq!((want.name(), want.number()), (name, number));
            assert_eq!(serde_json::to_value(want).unwrap(), name);
            assert_eq!(name.parse::<PaymentStatus>(), Ok(want));
        }
        for (name, number, want) in [
            ("FAILURE_REASON_NONE", 0, PaymentFailureReason::None),
            ("FAILURE_REASON_TIMEOUT", 1, PaymentFailureReason::Timeout),
            ("FAILURE_REASON_NO_ROUTE", 2, PaymentFailureReason::NoRoute),
            ("FAILURE_REASON_ERROR", 3, PaymentFailureReason::Error),
            (
                "FAILURE_REASON_INCORRECT_PAYMENT_DETAILS",
                4,
                PaymentFailureReason::IncorrectPaymentDetails,
            ),
            (
                "FAILURE_REASON_INSUFFICIENT_BALANCE",
                5,
                PaymentFailureReason::InsufficientBalance,
            ),
            ("FAILURE_REASON_CANCELED", 6, PaymentFailureReason::Canceled),
        ] {
            assert_eq!((want.name(), want.number()), (name, number));
            assert_eq!(
                serde_json::from_value::<PaymentFailureReason>(number.into()).unwrap(),
                want
            );
        }
        assert_eq!(PaymentFailureReason::ALL.len(), 7);
    }

    #[test]
    fn send_request_reads_what_lnd_clients_send() {
        let read: SendRequest = serde_json::from_str(
            r#"{"dest": "AqFjPK/MAev7bXjjn2h6HwmVxi/JX1Hq0QoC7gvlUbXc", "amt": 1000,
                "dest_custom_records": {"5482373484": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
                "fee_limit": {"fixed": "10"}, "final_cltv_delta": 40,
                "dest_features": ["TLV_ONION_OPT", 9], "something_new": 1}"#,
        )
        .unwrap();
        assert_eq!(read.dest.len(), 33);
        assert_eq!(read.amt, 1000);
        assert_eq!(read.dest_custom_records[&KEYSEND_RECORD].len(), 32);
        assert_eq!(read.fee_limit.as_ref().map(|f| f.fixed), Some(10));
        assert_eq!(read.final_cltv_delta, 40);
        assert_eq!(read.dest_features.len(), 2);

        let req = SendRequest {
            payment_request: "lnbcrt1".into(),
            amt: 5,
            ..Default::default()
        };
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json["payment_request"], "lnbcrt1");
        assert_eq!(json["amt"], "5");
        assert_eq!(json["amt_msat"], "0");
        assert_eq!(json["dest_custom_records"], serde_json::json!({}));
        assert!(json.get("fee_limit").is_none(), "{json}");
        assert_eq!(serde_json::from_value::<SendRequest>(json).unwrap(), req);
        let fee = serde_json::to_value(FeeLimit {
            percent: 3,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(fee, serde_json::json!({"percent": "3"}));
    }

    #[test]
    fn send_response_uses_lnds_names_and_encodings() {
        let response = SendResponse {
            payment_error: String::new(),
            payment_preimage: vec![1; 32],
            payment_hash: vec![2; 32],
            payment_route: Some(Route {
                total_time_lock: 526,
                total_amt: 10_000,
                total_amt_msat: 10_000_000,
                hops: vec![Hop {
                    chan_id: (403u64 << 40) | (1 << 16),
                    chan_capacity: 1_000_000,
                    amt_to_forward: 10_000,
                    expiry: 526,
                    amt_to_forward_msat: 10_000_000,
                    pub_key: "02aa".into(),
                    tlv_payload: true,
                    mpp_record: Some(MppRecord {
                        payment_addr: vec![3; 32],
                        total_amt_msat: 10_000_000,
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        };
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["payment_error"], "");
        assert_eq!(
            json["payment_preimage"],
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
        );
        let route = &json["payment_route"];
        assert_eq!(route["total_time_lock"], 526);
        assert_eq!(route["total_amt_msat"], "10000000");
        assert_eq!(route["total_fees_msat"], "0");
        let hop = &route["hops"][0];
        assert_eq!(hop["chan_id"], "443103186059264");
        assert_eq!(hop["chan_capacity"], "1000000");
        assert_eq!(hop["expiry"], 526);
        assert_eq!(hop["tlv_payload"], true);
        assert_eq!(hop["amp_record"], serde_json::Value::Null);
        assert_eq!(hop["mpp_record"]["total_amt_msat"], "10000000");
        assert_eq!(hop["custom_records"], serde_json::json!({}));
        assert_eq!(
            serde_json::from_value::<SendResponse>(json).unwrap(),
            response
        );
        // A failed payment as lnd answers it.
        let failed: SendResponse = serde_json::from_str(
            r#"{"payment_error": "unable to find a path to destination",
                "payment_preimage": null, "payment_route": null, "payment_hash": "AQ=="}"#,
        )
        .unwrap();
        assert_eq!(failed.payment_route, None);
        assert!(failed.payment_preimage.is_empty());
        assert_eq!(failed.payment_hash, [1]);
    }

    #[test]
    fn payments_use_lnds_names_and_encodings() {
        let list = ListPaymentsResponse {
            payments: vec![Payment {
                payment_hash: "ab".repeat(32),
                payment_preimage: "00".repeat(32),
                value: 10,
                value_sat: 10,
                value_msat: 10_000,
                status: PaymentStatus::Failed,
                failure_reason: PaymentFailureReason::NoRoute,
                creation_time_ns: 1_700_000_000_000_000_000,
                payment_index: 1,
                ..Default::default()
            }],
            first_index_offset: 1,
            last_index_offset: 1,
            total_num_payments: 0,
        };
        let json = serde_json::to_value(&list).unwrap();
        let p = &json["payments"][0];
        assert_eq!(p["status"], "FAILED");
        assert_eq!(p["failure_reason"], "FAILURE_REASON_NO_ROUTE");
        assert_eq!(p["value_msat"], "10000");
        assert_eq!(p["creation_time_ns"], "1700000000000000000");
        assert_eq!(p["payment_index"], "1");
        assert_eq!(p["htlcs"], serde_json::json!([]));
        assert_eq!(p.as_object().unwrap().len(), 16);
        assert_eq!(json["total_num_payments"], "0");
        assert_eq!(
            serde_json::from_value::<ListPaymentsResponse>(json).unwrap(),
            list
        );
        let req: ListPaymentsRequest =
            serde_json::from_str(r#"{"include_incomplete": true, "max_payments": "5"}"#).unwrap();
        assert!(req.include_incomplete && !req.reversed);
        assert_eq!(req.max_payments, 5);
    }
}
