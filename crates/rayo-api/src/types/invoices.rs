//! Invoices: `addinvoice`, `lookupinvoice`, `listinvoices` and
//! `decodepayreq`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::encoding::{bytes_base64, bytes_base64_map, int32_number, int64_string};
use crate::types::FeatureMap;

proto_enum! {
    /// lnd's `Invoice.InvoiceState`. An open invoice past its expiry is
    /// `CANCELED` (lnd cancels expired invoices).
    InvoiceState ("Invoice.InvoiceState") default Open {
        /// Waiting to be paid.
        Open = 0 => "OPEN",
        /// Paid: the preimage was revealed.
        Settled = 1 => "SETTLED",
        /// Will never be paid (canceled, or expired while open).
        Canceled = 2 => "CANCELED",
        /// A hold invoice's HTLCs are accepted, waiting to be settled.
        Accepted = 3 => "ACCEPTED",
    }
}

proto_enum! {
    /// lnd's `InvoiceHTLCState`: where an HTLC paying an invoice is.
    InvoiceHtlcState ("InvoiceHTLCState") default Accepted {
        /// Held, not yet settled or canceled.
        Accepted = 0 => "ACCEPTED",
        /// Claimed with the preimage.
        Settled = 1 => "SETTLED",
        /// Failed back.
        Canceled = 2 => "CANCELED",
    }
}

/// One channel of a private route to the payee: lnd's `HopHint`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HopHint {
    /// The public key of the node at the start of the channel, hex.
    pub node_id: String,
    /// The channel's short channel id as a number.
    #[serde(with = "int64_string")]
    pub chan_id: u64,
    /// The channel's base fee, in millisatoshis.
    #[serde(with = "int32_number")]
    pub fee_base_msat: u32,
    /// The channel's proportional fee, in millionths.
    #[serde(with = "int32_number")]
    pub fee_proportional_millionths: u32,
    /// The blocks the channel adds to the CLTV expiry.
    #[serde(with = "int32_number")]
    pub cltv_expiry_delta: u32,
}

/// A private route to the payee, first hop first: lnd's `RouteHint`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteHint {
    /// The channels of the route.
    pub hop_hints: Vec<HopHint>,
}

/// An HTLC that paid an invoice: lnd's `InvoiceHTLC`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceHtlc {
    /// The short channel id it came over.
    #[serde(with = "int64_string")]
    pub chan_id: u64,
    /// Its index in that channel.
    #[serde(with = "int64_string")]
    pub htlc_index: u64,
    /// Its amount, in millisatoshis.
    #[serde(with = "int64_string")]
    pub amt_msat: u64,
    /// The block height it was accepted at.
    #[serde(with = "int32_number")]
    pub accept_height: i32,
    /// When it was accepted, Unix seconds.
    #[serde(with = "int64_string")]
    pub accept_time: i64,
    /// When it was settled or canceled, Unix seconds.
    #[serde(with = "int64_string")]
    pub resolve_time: i64,
    /// The height it expires at.
    #[serde(with = "int32_number")]
    pub expiry_height: i32,
    /// Where it is.
    pub state: InvoiceHtlcState,
    /// The custom TLV records of its onion payload (base64 values).
    #[serde(with = "bytes_base64_map")]
    pub custom_records: BTreeMap<u64, Vec<u8>>,
    /// The total of the multi-path payment it belongs to, in millisatoshis.
    #[serde(with = "int64_string")]
    pub mpp_total_amt_msat: u64,
}

/// An invoice: lnd's `Invoice`. It is the body of `POST /v1/invoices` (only
/// `memo`, `value` or `value_msat`, `description_hash`, `expiry`,
/// `cltv_expiry` and `private` are read; the rest are outputs) and what
/// `lookupinvoice` and `listinvoices` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Invoice {
    /// The description, put in the payment request unless
    /// `description_hash` is set.
    pub memo: String,
    /// The preimage (32 bytes, base64 in JSON). Rayo chooses it; a request
    /// that sets it is refused.
    #[serde(with = "bytes_base64")]
    pub r_preimage: Vec<u8>,
    /// The payment hash, SHA-256 of the preimage (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub r_hash: Vec<u8>,
    /// The amount in satoshis (0: any amount). Exclusive with `value_msat`.
    #[serde(with = "int64_string")]
    pub value: i64,
    /// The amount in millisatoshis (0: any amount). Exclusive with `value`.
    #[serde(with = "int64_string")]
    pub value_msat: i64,
    /// Deprecated by lnd (see `state`): whether it is settled.
    pub settled: bool,
    /// When it was created, Unix seconds.
    #[serde(with = "int64_string")]
    pub creation_date: i64,
    /// When it was settled, Unix seconds (0 while not settled).
    #[serde(with = "int64_string")]
    pub settle_date: i64,
    /// The BOLT 11 payment request.
    pub payment_request: String,
    /// SHA-256 of a description given elsewhere, 32 bytes (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub description_hash: Vec<u8>,
    /// Seconds it stays payable (0 in a request: one day).
    #[serde(with = "int64_string")]
    pub expiry: i64,
    /// An on-chain fallback address.
    pub fallback_addr: String,
    /// The `min_final_cltv_expiry_delta` asked of the payer (0 in a request:
    /// the node's default).
    #[serde(with = "int64_string")]
    pub cltv_expiry: u64,
    /// Private routes to this node put in the payment request.
    pub route_hints: Vec<RouteHint>,
    /// Whether route hints for private channels were asked for.
    pub private: bool,
    /// The creation order, from 1.
    #[serde(with = "int64_string")]
    pub add_index: u64,
    /// The settle order, from 1 (0 while not settled).
    #[serde(with = "int64_string")]
    pub settle_index: u64,
    /// Deprecated by lnd: what was paid, in millisatoshis.
    #[serde(with = "int64_string")]
    pub amt_paid: i64,
    /// What was paid, in satoshis.
    #[serde(with = "int64_string")]
    pub amt_paid_sat: i64,
    /// What was paid, in millisatoshis.
    #[serde(with = "int64_string")]
    pub amt_paid_msat: i64,
    /// Where it is.
    pub state: InvoiceState,
    /// The HTLCs that paid it.
    pub htlcs: Vec<InvoiceHtlc>,
    /// The features of its payment request.
    pub features: FeatureMap,
    /// Received by keysend: no payment request was issued.
    pub is_keysend: bool,
    /// The payment secret (`payment_addr`) the payer must echo, 32 bytes
    /// (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub payment_addr: Vec<u8>,
    /// Whether it is an AMP invoice (never, in Rayo).
    pub is_amp: bool,
    /// AMP sub-invoices by set id, kept as lnd's JSON (empty in Rayo).
    pub amp_invoice_state: BTreeMap<String, serde_json::Value>,
    /// Whether the payment request carries blinded paths (never, in Rayo).
    pub is_blinded: bool,
    /// lnd's blinded path settings, kept as JSON; left out when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blinded_path_config: Option<serde_json::Value>,
}

/// `POST /v1/invoices`: `AddInvoiceResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AddInvoiceResponse {
    /// The payment hash (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub r_hash: Vec<u8>,
    /// The BOLT 11 payment request to give the payer.
    pub payment_request: String,
    /// The invoice's creation order, from 1.
    #[serde(with = "int64_string")]
    pub add_index: u64,
    /// The payment secret (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub payment_addr: Vec<u8>,
}

/// `GET /v1/invoices` query: `ListInvoiceRequest`. Without filters the 100
/// oldest invoices are listed (lnd's default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListInvoiceRequest {
    /// Only invoices that can still be paid (neither settled nor canceled).
    pub pending_only: bool,
    /// The `add_index` to start after (or, reversed, to end before); 0: the
    /// start (or the end).
    #[serde(with = "int64_string")]
    pub index_offset: u64,
    /// At most this many (0: 100).
    #[serde(with = "int64_string")]
    pub num_max_invoices: u64,
    /// Page backwards from `index_offset` (the list stays oldest first).
    pub reversed: bool,
    /// Only invoices created at or after this, Unix seconds (0: any).
    #[serde(with = "int64_string")]
    pub creation_date_start: u64,
    /// Only invoices created at or before this, Unix seconds (0: any).
    #[serde(with = "int64_string")]
    pub creation_date_end: u64,
}

/// `GET /v1/invoices`: `ListInvoiceResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListInvoiceResponse {
    /// The invoices, oldest first.
    pub invoices: Vec<Invoice>,
    /// The `add_index` of the last one listed: the next page's
    /// `index_offset` going forwards.
    #[serde(with = "int64_string")]
    pub last_index_offset: u64,
    /// The `add_index` of the first one listed: the next page's
    /// `index_offset` going backwards.
    #[serde(with = "int64_string")]
    pub first_index_offset: u64,
}

/// `GET /v1/payreq/{pay_req}`: `PayReq`, a decoded BOLT 11 payment request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PayReq {
    /// The payee's node public key, hex.
    pub destination: String,
    /// The payment hash, hex.
    pub payment_hash: String,
    /// The amount in whole satoshis (0: any amount).
    #[serde(with = "int64_string")]
    pub num_satoshis: i64,
    /// When it was created, Unix seconds.
    #[serde(with = "int64_string")]
    pub timestamp: i64,
    /// Seconds it stays payable after `timestamp`.
    #[serde(with = "int64_string")]
    pub expiry: i64,
    /// The description (empty when only its hash is given).
    pub description: String,
    /// SHA-256 of the description, hex (empty when the description is given).
    pub description_hash: String,
    /// The first on-chain fallback address, if any.
    pub fallback_addr: String,
    /// The `min_final_cltv_expiry_delta`.
    #[serde(with = "int64_string")]
    pub cltv_expiry: i64,
    /// Private routes to the payee.
    pub route_hints: Vec<RouteHint>,
    /// The payment secret (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub payment_addr: Vec<u8>,
    /// The amount in millisatoshis (0: any amount).
    #[serde(with = "int64_string")]
    pub num_msat: i64,
    /// The features the payee sets.
    pub features: FeatureMap,
    /// Blinded paths to the payee, kept as lnd's JSON (none in BOLT 11
    /// requests Rayo reads).
    pub blinded_paths: Vec<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Feature;

    #[test]
    fn invoice_state_names_and_numbers() {
        for (name, number, want) in [
            ("OPEN", 0, InvoiceState::Open),
            ("SETTLED", 1, InvoiceState::Settled),
            ("CANCELED", 2, InvoiceState::Canceled),
            ("ACCEPTED", 3, InvoiceState::Accepted),
        ] {
            assert_eq!((want.name(), want.number()), (name, number));
            assert_eq!(serde_json::to_value(want).unwrap(), name);
            assert_eq!(
                serde_json::from_value::<InvoiceState>(number.into()).unwrap(),
                want
            );
        }
        assert!(serde_json::from_str::<InvoiceState>("4").is_err());
        assert_eq!(InvoiceHtlcState::default(), InvoiceHtlcState::Accepted);
    }

    #[test]
    fn add_invoice_bodies_use_lnds_encodings() {
        let req = Invoice {
            memo: "coffee".into(),
            value: 10_000,
            expiry: 600,
            description_hash: vec![7; 32],
            cltv_expiry: 40,
            ..Default::default()
        };
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json["memo"], "coffee");
        assert_eq!(json["value"], "10000");
        assert_eq!(json["value_msat"], "0");
        assert_eq!(json["expiry"], "600");
        assert_eq!(json["cltv_expiry"], "40");
        assert_eq!(
            json["description_hash"],
            "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="
        );
        assert_eq!(json["state"], "OPEN");
        assert!(json.get("blinded_path_config").is_none(), "{json}");
        assert_eq!(serde_json::from_value::<Invoice>(json).unwrap(), req);

        // What an lnd REST client sends: numbers, most fields left out.
        let read: Invoice =
            serde_json::from_str(r#"{"memo": "x", "value_msat": 1500, "unknown": true}"#).unwrap();
        assert_eq!(
            (read.memo.as_str(), read.value, read.value_msat),
            ("x", 0, 1500)
        );

        let answer = AddInvoiceResponse {
            r_hash: vec![0xfb, 0xff, 0x01],
            payment_request: "lnbcrt1".into(),
            add_index: 1,
            payment_addr: vec![1],
        };
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"r_hash": "+/8B", "payment_request": "lnbcrt1",
                "add_index": "1", "payment_addr": "AQ=="})
        );
        assert_eq!(
            serde_json::from_value::<AddInvoiceResponse>(json).unwrap(),
            answer
        );
    }

    #[test]
    fn invoice_has_every_field_of_lnds() {
        let invoice = Invoice {
            state: InvoiceState::Settled,
            settled: true,
            amt_paid_msat: 10_000_000,
            features: [(
                14,
                Feature {
                    name: "payment-addr".into(),
                    is_required: true,
                    is_known: true,
                },
            )]
            .into(),
            ..Default::default()
        };
        let json = serde_json::to_value(&invoice).unwrap();
        assert_eq!(json["state"], "SETTLED");
        assert_eq!(json["amt_paid_msat"], "10000000");
        assert_eq!(json["features"]["14"]["name"], "payment-addr");
        assert_eq!(json["route_hints"], serde_json::json!([]));
        assert_eq!(json["amp_invoice_state"], serde_json::json!({}));
        let fields: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for name in [
            "memo",
            "r_preimage",
            "r_hash",
            "value",
            "value_msat",
            "settled",
            "creation_date",
            "settle_date",
            "payment_request",
            "description_hash",
            "expiry",
            "fallback_addr",
            "cltv_expiry",
            "route_hints",
            "private",
            "add_index",
            "settle_index",
            "amt_paid",
            "amt_paid_sat",
            "amt_paid_msat",
            "state",
            "htlcs",
            "features",
            "is_keysend",
            "payment_addr",
            "is_amp",
            "amp_invoice_state",
            "is_blinded",
        ] {
            assert!(fields.contains(&name), "missing {name}");
        }
        assert_eq!(fields.len(), 28);
        assert_eq!(serde_json::from_value::<Invoice>(json).unwrap(), invoice);

        // An lnd-shaped answer with an HTLC and a null config.
        let lnd = r#"{"invoices": [{"r_hash": "AQID", "state": "CANCELED",
            "htlcs": [{"chan_id": "443103186059264", "amt_msat": "1000", "state": "SETTLED",
                "custom_records": {"5482373484": "AQ=="}}],
            "blinded_path_config": null, "add_index": 3}],
            "last_index_offset": "3", "first_index_offset": "3"}"#;
        let read: ListInvoiceResponse = serde_json::from_str(lnd).unwrap();
        let i = &read.invoices[0];
        assert_eq!((i.state, i.add_index), (InvoiceState::Canceled, 3));
        assert_eq!(i.htlcs[0].state, InvoiceHtlcState::Settled);
        assert_eq!(i.htlcs[0].custom_records[&5_482_373_484], [1]);
        assert_eq!(read.last_index_offset, 3);
    }

    #[test]
    fn pay_req_uses_lnds_names() {
        let decoded = PayReq {
            destination: "02aa".into(),
            payment_hash: "00ff".into(),
            num_satoshis: 10,
            num_msat: 10_500,
            expiry: 3600,
            cltv_expiry: 18,
            route_hints: vec![RouteHint {
                hop_hints: vec![HopHint {
                    node_id: "03bb".into(),
                    chan_id: 1 << 40,
                    fee_base_msat: 1,
                    fee_proportional_millionths: 2,
                    cltv_expiry_delta: 144,
                }],
            }],
            ..Default::default()
        };
        let json = serde_json::to_value(&decoded).unwrap();
        assert_eq!(json["num_satoshis"], "10");
        assert_eq!(json["num_msat"], "10500");
        assert_eq!(json["expiry"], "3600");
        assert_eq!(json["cltv_expiry"], "18");
        assert_eq!(json["payment_addr"], "");
        assert_eq!(json["blinded_paths"], serde_json::json!([]));
        let hint = &json["route_hints"][0]["hop_hints"][0];
        assert_eq!(hint["chan_id"], "1099511627776");
        assert_eq!(hint["cltv_expiry_delta"], 144);
        assert_eq!(json.as_object().unwrap().len(), 14);
        assert_eq!(serde_json::from_value::<PayReq>(json).unwrap(), decoded);
    }
}
