//! The REST API of invoices and payments: `addinvoice`, `lookupinvoice`,
//! `listinvoices`, `decodepayreq`, `sendpayment` (lnd's `SendPaymentSync`)
//! and `listpayments`, with lnd's paths, checks, pagination and failure
//! reasons. Handlers ask the driver; `decodepayreq` needs no node state and
//! decodes here.

use axum::extract::{Path, Query, RawQuery, State};
use axum::Json;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::PublicKey;
use bitcoin::Network;
use rayo_api::types::{
    AddInvoiceResponse, Hop, HopHint, Invoice, InvoiceState as ApiInvoiceState, ListInvoiceRequest,
    ListInvoiceResponse, ListPaymentsRequest, ListPaymentsResponse, MppRecord, PayReq, Payment,
    PaymentFailureReason, PaymentStatus, Route, RouteHint, SendRequest, SendResponse,
    KEYSEND_RECORD,
};
use rayo_invoice::Description;
use rayo_manager::NO_ROUTE;
use rayo_manager::{
    AddInvoiceCommand, ChannelRecord, Command, InvoiceRecord, InvoiceState, PaymentRecord,
    PaymentState, Reply, SendPaymentCommand,
};
use rayo_wire::amount::Msat;

use super::{channels, feature_map, invalid, network_name, unexpected, Api, ApiError, ApiResult};
use crate::entropy::unix_now;

/// lnd's limit on an invoice's memo, in bytes.
pub(crate) const MAX_MEMO_BYTES: usize = 1024;

/// lnd's smallest final CLTV delta an invoice may ask for.
pub(crate) const MIN_CLTV_DELTA: u64 = 18;

/// How many invoices `listinvoices` lists when not told (lnd's default).
pub(crate) const DEFAULT_MAX_INVOICES: u64 = 100;

/// lnd's answer while a payment's outcome is not known yet.
const IN_TRANSITION: &str = "payment is in transition";

fn i64_of(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// `POST /v1/invoices`.
pub(super) async fn add_invoice(
    State(api): State<Api>,
    Json(request): Json<Invoice>,
) -> ApiResult<AddInvoiceResponse> {
    let command = add_invoice_command(&request)?;
    match api.driver.call(Command::AddInvoice(command)).await? {
        Reply::Invoice(record) => Ok(Json(AddInvoiceResponse {
            r_hash: record.payment_hash.to_vec(),
            payment_request: record.payment_request,
            add_index: record.add_index,
            payment_addr: record.payment_secret.to_vec(),
        })),
        other => Err(unexpected(other)),
    }
}

/// An amount given in satoshis or millisatoshis (lnd's `UnmarshallAmt`):
/// `None` when both are 0.
fn amount_of(sat: i64, msat: i64, what: &str) -> Result<Option<Msat>, ApiError> {
    if sat < 0 || msat < 0 {
        return Err(invalid(format!("{what} must not be negative")));
    }
    match (sat, msat) {
        (0, 0) => Ok(None),
        (sat, 0) => u64::try_from(sat)
            .ok()
            .and_then(|s| s.checked_mul(1000))
            .map(|m| Some(Msat(m)))
            .ok_or_else(|| invalid(format!("{what} is too large"))),
        (0, msat) => Ok(Some(Msat(msat.unsigned_abs()))),
        _ => Err(invalid("sat and msat arguments are mutually exclusive")),
    }
}

/// The manager's `addinvoice` from lnd's request, with lnd's checks; what
/// Rayo cannot honour is refused rather than ignored.
pub(crate) fn add_invoice_command(request: &Invoice) -> Result<AddInvoiceCommand, ApiError> {
    if !request.r_preimage.is_empty() {
        return Err(invalid(
            "choosing the preimage (r_preimage) is not supported: the node draws it",
        ));
    }
    if request.is_amp {
        return Err(invalid("AMP invoices are not supported"));
    }
    if request.is_blinded || request.blinded_path_config.is_some() {
        return Err(invalid("invoices with blinded paths are not supported"));
    }
    if !request.fallback_addr.is_empty() {
        return Err(invalid("fallback addresses are not supported"));
    }
    if !request.route_hints.is_empty() {
        return Err(invalid("route hints are not supported"));
    }
    if request.memo.len() > MAX_MEMO_BYTES {
        return Err(invalid(format!(
            "memo too large: {} bytes (maxsize={MAX_MEMO_BYTES})",
            request.memo.len()
        )));
    }
    let value_msat = amount_of(request.value, request.value_msat, "the invoice amount")?;
    let description_hash = match request.description_hash.as_slice() {
        [] => None,
        bytes => Some(<[u8; 32]>::try_from(bytes).map_err(|_| {
            invalid(format!(
                "description hash is {} bytes, must be 32",
                bytes.len()
            ))
        })?),
    };
    let expiry = match request.expiry {
        0 => None,
        e if e < 0 => return Err(invalid("expiry must not be negative")),
        e => Some(e.unsigned_abs()),
    };
    let cltv_expiry = match request.cltv_expiry {
        0 => None,
        c if c > u64::from(u16::MAX) => {
            return Err(invalid(format!(
                "CLTV delta of {c} is too large, max accepted is: {}",
                u16::MAX
            )))
        }
        c if c < MIN_CLTV_DELTA => {
            return Err(invalid(format!(
                "CLTV delta of {c} must be at least {MIN_CLTV_DELTA}"
            )))
        }
        // Checked against u16::MAX above.
        c => Some(u32::try_from(c).unwrap_or(u32::MAX)),
    };
    Ok(AddInvoiceCommand {
        value_msat,
        memo: request.memo.clone(),
        description_hash,
        expiry,
        cltv_expiry,
    })
}

/// lnd's `InvoiceState` of a record at `now`.
fn api_state(state: InvoiceState) -> ApiInvoiceState {
    match state {
        InvoiceState::Open => ApiInvoiceState::Open,
        InvoiceState::Settled => ApiInvoiceState::Settled,
        InvoiceState::Canceled => ApiInvoiceState::Canceled,
    }
}

/// An invoice as lnd shows it, at `now` (an open invoice past its expiry
/// reads canceled). Features and the description hash come from its
/// payment request.
pub(crate) fn invoice_of(record: &InvoiceRecord, now: u64) -> Invoice {
    let decoded = match record.payment_request.as_str() {
        "" => None,
        text => text.parse::<rayo_invoice::Invoice>().ok(),
    };
    let description_hash = match decoded.as_ref().map(|i| i.description()) {
        Some(Description::Hash(hash)) => hash.to_byte_array().to_vec(),
        _ => Vec::new(),
    };
    let features = decoded
        .as_ref()
        .map(|i| feature_map(i.features()))
        .unwrap_or_default();
    let state = api_state(record.state_at(now));
    let value_msat = record.value_msat.map_or(0, |v| v.0);
    let paid = record.amt_paid_msat.0;
    Invoice {
        memo: record.memo.clone(),
        r_preimage: record.preimage.to_vec(),
        r_hash: record.payment_hash.to_vec(),
        value: i64_of(value_msat / 1000),
        value_msat: i64_of(value_msat),
        settled: state == ApiInvoiceState::Settled,
        creation_date: i64_of(record.created_at),
        settle_date: i64_of(record.settled_at.unwrap_or(0)),
        payment_request: record.payment_request.clone(),
        description_hash,
        expiry: i64_of(record.expiry),
        cltv_expiry: u64::from(record.cltv_expiry),
        add_index: record.add_index,
        settle_index: record.settle_index,
        amt_paid: i64_of(paid),
        amt_paid_sat: i64_of(paid / 1000),
        amt_paid_msat: i64_of(paid),
        state,
        features,
        is_keysend: record.is_keysend,
        payment_addr: record.payment_secret.to_vec(),
        ..Invoice::default()
    }
}

/// A payment hash given as hex, checked as lnd checks it.
pub(crate) fn parse_payment_hash(text: &str) -> Result<[u8; 32], ApiError> {
    let bytes = hex::decode(text.trim())
        .map_err(|e| invalid(format!("invalid payment hash {text:?}: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        invalid(format!(
            "payment hash must be exactly 32 bytes, is instead {}",
            bytes.len()
        ))
    })
}

/// `GET /v1/invoice/{r_hash_str}`.
pub(super) async fn lookup_invoice(
    State(api): State<Api>,
    Path(r_hash_str): Path<String>,
) -> ApiResult<Invoice> {
    let payment_hash = parse_payment_hash(&r_hash_str)?;
    match api
        .driver
        .call(Command::LookupInvoice { payment_hash })
        .await?
    {
        Reply::Invoice(record) => Ok(Json(invoice_of(&record, unix_now()))),
        other => Err(unexpected(other)),
    }
}

/// lnd's pages over a list sorted by index: forwards, the first `max` after
/// `offset`; reversed, the last `max` before it (0: from the end), still in
/// index order. The offset itself is never included.
pub(crate) fn page<T>(
    items: Vec<T>,
    index: impl Fn(&T) -> u64,
    offset: u64,
    max: u64,
    reversed: bool,
) -> Vec<T> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    if reversed {
        let mut before: Vec<T> = items
            .into_iter()
            .filter(|item| offset == 0 || index(item) < offset)
            .collect();
        let skip = before.len().saturating_sub(max);
        before.drain(..skip);
        before
    } else {
        items
            .into_iter()
            .filter(|item| index(item) > offset)
            .take(max)
            .collect()
    }
}

/// Whether `created_at` is within lnd's `creation_date_start..=end` (0:
/// unbounded).
fn created_within(created_at: u64, start: u64, end: u64) -> bool {
    created_at >= start && (end == 0 || created_at <= end)
}

/// `listinvoices` over every invoice, with lnd's filters and page.
pub(crate) fn list_invoices_response(
    mut records: Vec<InvoiceRecord>,
    request: &ListInvoiceRequest,
    now: u64,
) -> ListInvoiceResponse {
    records.sort_by_key(|r| r.add_index);
    let selected: Vec<InvoiceRecord> = records
        .into_iter()
        .filter(|r| !request.pending_only || r.state_at(now) == InvoiceState::Open)
        .filter(|r| {
            created_within(
                r.created_at,
                request.creation_date_start,
                request.creation_date_end,
            )
        })
        .collect();
    let max = match request.num_max_invoices {
        0 => DEFAULT_MAX_INVOICES,
        n => n,
    };
    let listed = page(
        selected,
        |r| r.add_index,
        request.index_offset,
        max,
        request.reversed,
    );
    ListInvoiceResponse {
        first_index_offset: listed.first().map_or(0, |r| r.add_index),
        last_index_offset: listed.last().map_or(0, |r| r.add_index),
        invoices: listed.iter().map(|r| invoice_of(r, now)).collect(),
    }
}

/// `GET /v1/invoices`.
pub(super) async fn list_invoices(
    State(api): State<Api>,
    Query(request): Query<ListInvoiceRequest>,
) -> ApiResult<ListInvoiceResponse> {
    match api.driver.call(Command::ListInvoices).await? {
        Reply::Invoices(records) => Ok(Json(list_invoices_response(records, &request, unix_now()))),
        other => Err(unexpected(other)),
    }
}

/// `decodepayreq`: the payment request for `network` decoded as lnd shows
/// it; an invalid one is refused with the decoder's reason.
pub(crate) fn decode_pay_req(text: &str, network: Network) -> Result<PayReq, ApiError> {
    let invoice: rayo_invoice::Invoice = text
        .trim()
        .parse()
        .map_err(|e: rayo_invoice::InvoiceError| invalid(e.to_string()))?;
    let Some(invoice_network) = invoice.network().filter(|n| *n == network) else {
        return Err(invalid(format!(
            "invoice not for current active network '{}'",
            network_name(network)
        )));
    };
    let (description, description_hash) = match invoice.description() {
        Description::Direct(text) => (text.clone(), String::new()),
        Description::Hash(hash) => (String::new(), hex::encode(hash.to_byte_array())),
    };
    let msat = invoice.amount_msat().map_or(0, |a| a.0);
    let fallback_addr = invoice
        .fallbacks()
        .next()
        .map(|f| f.address(invoice_network).to_string())
        .unwrap_or_default();
    Ok(PayReq {
        destination: invoice.payee().to_string(),
        payment_hash: hex::encode(invoice.payment_hash().to_byte_array()),
        num_satoshis: i64_of(msat / 1000),
        timestamp: i64_of(invoice.timestamp()),
        expiry: i64_of(invoice.expiry()),
        description,
        description_hash,
        fallback_addr,
        cltv_expiry: i64_of(invoice.min_final_cltv_expiry_delta()),
        route_hints: invoice
            .route_hints()
            .map(|hint| RouteHint {
                hop_hints: hint
                    .0
                    .iter()
                    .map(|hop| HopHint {
                        node_id: hop.src_node_id.to_string(),
                        chan_id: hop.short_channel_id.0,
                        fee_base_msat: hop.fee_base_msat,
                        fee_proportional_millionths: hop.fee_proportional_millionths,
                        cltv_expiry_delta: u32::from(hop.cltv_expiry_delta),
                    })
                    .collect(),
            })
            .collect(),
        payment_addr: invoice.payment_secret().0.to_vec(),
        num_msat: i64_of(msat),
        features: feature_map(invoice.features()),
        blinded_paths: Vec::new(),
    })
}

/// `GET /v1/payreq/{pay_req}`.
pub(super) async fn decode_pay_req_handler(
    State(api): State<Api>,
    Path(pay_req): Path<String>,
) -> ApiResult<PayReq> {
    decode_pay_req(&pay_req, api.info.network).map(Json)
}

/// A node key given as raw bytes, or else as hex.
fn destination_of(request: &SendRequest) -> Result<Option<PublicKey>, ApiError> {
    let bad = || invalid("dest is not a node public key (33 bytes)");
    if !request.dest.is_empty() {
        return PublicKey::from_slice(&request.dest)
            .map(Some)
            .map_err(|_| bad());
    }
    match request.dest_string.trim() {
        "" => Ok(None),
        text => text.parse().map(Some).map_err(|_| bad()),
    }
}

/// The payment hash given as bytes, or else as hex.
fn payment_hash_of(request: &SendRequest) -> Result<Option<[u8; 32]>, ApiError> {
    if !request.payment_hash.is_empty() {
        return <[u8; 32]>::try_from(request.payment_hash.as_slice())
            .map(Some)
            .map_err(|_| {
                invalid(format!(
                    "payment hash must be exactly 32 bytes, is instead {}",
                    request.payment_hash.len()
                ))
            });
    }
    match request.payment_hash_string.trim() {
        "" => Ok(None),
        text => parse_payment_hash(text).map(Some),
    }
}

/// The manager's `sendpayment` from lnd's `SendRequest`: an invoice, or a
/// keysend whose preimage is the custom record 5482373484. Fields about
/// routing (`fee_limit`, `outgoing_chan_id`, `cltv_limit`, ...) are read
/// and not needed: payments go over a direct channel and pay no fee.
pub(crate) fn send_payment_command(request: &SendRequest) -> Result<SendPaymentCommand, ApiError> {
    let amount = amount_of(request.amt, request.amt_msat, "the amount")?;
    if let Some(record) = request
        .dest_custom_records
        .keys()
        .find(|k| **k != KEYSEND_RECORD)
    {
        return Err(invalid(if *record < 65_536 {
            format!("custom record type {record} is below 65536: only the keysend record (5482373484) may be")
        } else {
            format!("custom records are not supported (record {record})")
        }));
    }
    let keysend_preimage = request
        .dest_custom_records
        .get(&KEYSEND_RECORD)
        .map(|bytes| {
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
                invalid(format!(
                    "the keysend preimage (record {KEYSEND_RECORD}) must be 32 bytes, is {}",
                    bytes.len()
                ))
            })
        })
        .transpose()?;
    let payment_hash = payment_hash_of(request)?;
    let payment_request = request.payment_request.trim();
    if !payment_request.is_empty() {
        if keysend_preimage.is_some() {
            return Err(invalid(
                "a keysend preimage cannot be sent with a payment request",
            ));
        }
        return Ok(SendPaymentCommand {
            payment_request: Some(payment_request.to_owned()),
            amount,
            ..SendPaymentCommand::default()
        });
    }
    let destination = destination_of(request)?.ok_or_else(|| {
        invalid(
            "give payment_request, or dest and amt with a keysend preimage in dest_custom_records",
        )
    })?;
    let Some(preimage) = keysend_preimage else {
        return Err(invalid(format!(
            "paying a payment hash without an invoice is not supported: give payment_request, \
             or a keysend preimage in dest_custom_records (record {KEYSEND_RECORD})"
        )));
    };
    if payment_hash.is_some_and(|h| h != sha256::Hash::hash(&preimage).to_byte_array()) {
        return Err(invalid(
            "payment_hash is not the SHA-256 of the keysend preimage",
        ));
    }
    Ok(SendPaymentCommand {
        payment_request: None,
        amount,
        destination: Some(destination),
        keysend: true,
        keysend_preimage: Some(preimage),
    })
}

/// The route a succeeded payment took: one hop over the channel that
/// carried its HTLC (its short channel id and capacity from `channels`).
pub(crate) fn route_of(record: &PaymentRecord, channels: &[ChannelRecord]) -> Route {
    let channel = record
        .htlc
        .and_then(|(id, _)| channels.iter().find(|c| c.channel_id() == id))
        .and_then(ChannelRecord::funded);
    let (chan_id, capacity) = channel.map_or((0, 0), |c| {
        (
            c.phase.short_channel_id.map_or(0, |s| s.0),
            i64_of(c.phase.setup.capacity.0),
        )
    });
    let value = record.value_msat.0;
    let fee = record.fee_msat.0;
    let total = value.saturating_add(fee);
    let invoice = match record.payment_request.as_str() {
        "" => None,
        text => text.parse::<rayo_invoice::Invoice>().ok(),
    };
    let mpp_record = invoice.as_ref().map(|i| MppRecord {
        payment_addr: i.payment_secret().0.to_vec(),
        total_amt_msat: i64_of(value),
    });
    let custom_records = match (&invoice, record.preimage) {
        (None, Some(preimage)) => [(KEYSEND_RECORD, preimage.to_vec())].into(),
        _ => Default::default(),
    };
    Route {
        total_time_lock: record.cltv_expiry,
        total_fees: i64_of(fee / 1000),
        total_amt: i64_of(total / 1000),
        hops: vec![Hop {
            chan_id,
            chan_capacity: capacity,
            amt_to_forward: i64_of(value / 1000),
            fee: 0,
            expiry: record.cltv_expiry,
            amt_to_forward_msat: i64_of(value),
            fee_msat: 0,
            pub_key: record.destination.to_string(),
            tlv_payload: true,
            mpp_record,
            custom_records,
            metadata: invoice
                .as_ref()
                .and_then(|i| i.payment_metadata())
                .map(<[u8]>::to_vec)
                .unwrap_or_default(),
            ..Hop::default()
        }],
        total_fees_msat: i64_of(fee),
        total_amt_msat: i64_of(total),
        first_hop_amount_msat: i64_of(total),
        custom_channel_data: Vec::new(),
    }
}

/// lnd's `SendResponse` for a payment as it ended: a failure is an answer
/// with `payment_error`, not an HTTP error.
pub(crate) fn send_response(record: &PaymentRecord, channels: &[ChannelRecord]) -> SendResponse {
    let payment_hash = record.payment_hash.to_vec();
    match (record.state, record.preimage) {
        (PaymentState::Succeeded, Some(preimage)) => SendResponse {
            payment_error: String::new(),
            payment_preimage: preimage.to_vec(),
            payment_route: Some(route_of(record, channels)),
            payment_hash,
        },
        (PaymentState::Failed, _) => SendResponse {
            payment_error: record
                .failure
                .clone()
                .unwrap_or_else(|| "payment failed".to_owned()),
            payment_hash,
            ..SendResponse::default()
        },
        _ => SendResponse {
            payment_error: IN_TRANSITION.to_owned(),
            payment_hash,
            ..SendResponse::default()
        },
    }
}

/// `POST /v1/channels/transactions`: answers when the payment ended.
pub(super) async fn send_payment(
    State(api): State<Api>,
    Json(request): Json<SendRequest>,
) -> ApiResult<SendResponse> {
    let command = send_payment_command(&request)?;
    let record = match api.driver.call(Command::SendPayment(command)).await? {
        Reply::Payment(record) => record,
        other => return Err(unexpected(other)),
    };
    let channels = match record.state {
        PaymentState::Succeeded => channels(&api).await?,
        PaymentState::Failed | PaymentState::InFlight => Vec::new(),
    };
    Ok(Json(send_response(&record, &channels)))
}

/// lnd's `failure_reason` for the manager's failure text.
pub(crate) fn failure_reason(record: &PaymentRecord) -> PaymentFailureReason {
    if record.state != PaymentState::Failed {
        return PaymentFailureReason::None;
    }
    let text = record.failure.as_deref().unwrap_or_default();
    if text.starts_with(NO_ROUTE) {
        return PaymentFailureReason::NoRoute;
    }
    if text.starts_with("insufficient local balance") {
        return PaymentFailureReason::InsufficientBalance;
    }
    match text.split(':').next().unwrap_or_default().trim() {
        "incorrect_or_unknown_payment_details"
        | "incorrect_payment_amount"
        | "final_expiry_too_soon" => PaymentFailureReason::IncorrectPaymentDetails,
        "mpp_timeout" => PaymentFailureReason::Timeout,
        _ => PaymentFailureReason::Error,
    }
}

/// A payment as lnd's `listpayments` shows it.
pub(crate) fn payment_of(record: &PaymentRecord) -> Payment {
    let value = record.value_msat.0;
    let fee = record.fee_msat.0;
    Payment {
        payment_hash: hex::encode(record.payment_hash),
        value: i64_of(value / 1000),
        creation_date: i64_of(record.created_at),
        fee: i64_of(fee / 1000),
        payment_preimage: hex::encode(record.preimage.unwrap_or([0; 32])),
        value_sat: i64_of(value / 1000),
        value_msat: i64_of(value),
        payment_request: record.payment_request.clone(),
        status: match record.state {
            PaymentState::InFlight => PaymentStatus::InFlight,
            PaymentState::Succeeded => PaymentStatus::Succeeded,
            PaymentState::Failed => PaymentStatus::Failed,
        },
        fee_sat: i64_of(fee / 1000),
        fee_msat: i64_of(fee),
        creation_time_ns: i64_of(record.created_at.saturating_mul(1_000_000_000)),
        htlcs: Vec::new(),
        payment_index: record.index,
        failure_reason: failure_reason(record),
        first_hop_custom_records: Default::default(),
    }
}

/// `listpayments` over every payment, with lnd's filters and page.
pub(crate) fn list_payments_response(
    mut records: Vec<PaymentRecord>,
    request: &ListPaymentsRequest,
    include_incomplete: bool,
) -> ListPaymentsResponse {
    records.sort_by_key(|p| p.index);
    let total = if request.count_total_payments {
        records.len() as u64
    } else {
        0
    };
    let selected: Vec<PaymentRecord> = records
        .into_iter()
        .filter(|p| include_incomplete || p.state == PaymentState::Succeeded)
        .filter(|p| {
            created_within(
                p.created_at,
                request.creation_date_start,
                request.creation_date_end,
            )
        })
        .collect();
    let max = match request.max_payments {
        0 => u64::MAX,
        n => n,
    };
    let listed = page(
        selected,
        |p| p.index,
        request.index_offset,
        max,
        request.reversed,
    );
    ListPaymentsResponse {
        first_index_offset: listed.first().map_or(0, |p| p.index),
        last_index_offset: listed.last().map_or(0, |p| p.index),
        payments: listed.iter().map(payment_of).collect(),
        total_num_payments: total,
    }
}

/// Whether the query string names `key`.
fn query_has(raw: Option<&str>, key: &str) -> bool {
    raw.unwrap_or_default()
        .split('&')
        .any(|pair| pair.split('=').next() == Some(key))
}

/// `GET /v1/payments`. A query without `include_incomplete` lists every
/// payment (in flight and failed too); `include_incomplete=false` only the
/// succeeded ones, as lnd.
pub(super) async fn list_payments(
    State(api): State<Api>,
    RawQuery(raw): RawQuery,
    Query(request): Query<ListPaymentsRequest>,
) -> ApiResult<ListPaymentsResponse> {
    let include_incomplete =
        request.include_incomplete || !query_has(raw.as_deref(), "include_incomplete");
    match api.driver.call(Command::ListPayments).await? {
        Reply::Payments(records) => Ok(Json(list_payments_response(
            records,
            &request,
            include_incomplete,
        ))),
        other => Err(unexpected(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::secp256k1::{Secp256k1, SecretKey};
    use rayo_api::types::GrpcCode;
    use rayo_invoice::{rayo_features, Currency, InvoiceBuilder, PaymentSecret};
    use rayo_manager::CommandError;

    const NOW: u64 = 1_700_000_000;

    fn node_key() -> SecretKey {
        SecretKey::from_slice(&[0x11; 32]).unwrap()
    }

    fn code(e: &ApiError) -> (GrpcCode, u16) {
        let code = GrpcCode::from_number(e.0.code).unwrap();
        (code, code.http_status())
    }

    fn bolt11(amount: Option<u64>, description: Option<&str>) -> String {
        let preimage = [0x22; 32];
        let mut builder = InvoiceBuilder::new(Currency::Regtest, NOW)
            .payment_hash(sha256::Hash::hash(&preimage))
            .payment_secret(PaymentSecret([0x33; 32]))
            .expiry(600)
            .min_final_cltv_expiry_delta(80)
            .features(rayo_features());
        builder = match description {
            Some(text) => builder.description(text),
            None => builder.description_hash(sha256::Hash::hash(b"long")),
        };
        if let Some(msat) = amount {
            builder = builder.amount_msat(Msat(msat));
        }
        builder.build_signed(&node_key()).unwrap().to_string()
    }

    fn record() -> InvoiceRecord {
        let preimage = [0x22; 32];
        InvoiceRecord {
            payment_hash: sha256::Hash::hash(&preimage).to_byte_array(),
            preimage,
            payment_secret: [0x33; 32],
            value_msat: Some(Msat(10_000_500)),
            memo: "coffee".into(),
            payment_request: bolt11(Some(10_000_500), Some("coffee")),
            created_at: NOW,
            expiry: 600,
            cltv_expiry: 80,
            add_index: 1,
            state: InvoiceState::Open,
            settle_index: 0,
            settled_at: None,
            amt_paid_msat: Msat(0),
            is_keysend: false,
        }
    }

    #[test]
    fn add_invoice_requests_as_lnd_checks_them() {
        let ok = |invoice: Invoice| add_invoice_command(&invoice).unwrap();
        let c = ok(Invoice {
            memo: "m".into(),
            value: 10_000,
            ..Default::default()
        });
        assert_eq!(c.value_msat, Some(Msat(10_000_000)));
        assert_eq!(
            (c.memo.as_str(), c.expiry, c.cltv_expiry),
            ("m", None, None)
        );
        let c = ok(Invoice {
            value_msat: 1_500,
            expiry: 60,
            cltv_expiry: 40,
            description_hash: vec![9; 32],
            private: true,
            ..Default::default()
        });
        assert_eq!(c.value_msat, Some(Msat(1_500)));
        assert_eq!((c.expiry, c.cltv_expiry), (Some(60), Some(40)));
        assert_eq!(c.description_hash, Some([9; 32]));
        // Zero (or nothing): any amount.
        assert_eq!(ok(Invoice::default()).value_msat, None);

        for (invoice, why) in [
            (
                Invoice {
                    value: -1,
                    ..Default::default()
                },
                "must not be negative",
            ),
            (
                Invoice {
                    value_msat: -1,
                    ..Default::default()
                },
                "must not be negative",
            ),
            (
                Invoice {
                    value: 1,
                    value_msat: 1000,
                    ..Default::default()
                },
                "mutually exclusive",
            ),
            (
                Invoice {
                    value: i64::MAX,
                    ..Default::default()
                },
                "too large",
            ),
            (
                Invoice {
                    description_hash: vec![1; 31],
                    ..Default::default()
                },
                "description hash is 31 bytes, must be 32",
            ),
            (
                Invoice {
                    memo: "x".repeat(1025),
                    ..Default::default()
                },
                "memo too large: 1025 bytes",
            ),
            (
                Invoice {
                    expiry: -5,
                    ..Default::default()
                },
                "expiry must not be negative",
            ),
            (
                Invoice {
                    cltv_expiry: 70_000,
                    ..Default::default()
                },
                "too large",
            ),
            (
                Invoice {
                    cltv_expiry: 9,
                    ..Default::default()
                },
                "at least 18",
            ),
            (
                Invoice {
                    r_preimage: vec![1; 32],
                    ..Default::default()
                },
                "r_preimage",
            ),
            (
                Invoice {
                    is_amp: true,
                    ..Default::default()
                },
                "AMP",
            ),
            (
                Invoice {
                    fallback_addr: "bcrt1q".into(),
                    ..Default::default()
                },
                "fallback",
            ),
        ] {
            let e = add_invoice_command(&invoice).unwrap_err();
            assert_eq!(code(&e), (GrpcCode::InvalidArgument, 400), "{why}");
            assert!(e.0.message.contains(why), "{}: {why}", e.0.message);
        }
    }

    #[test]
    fn invoices_show_lnds_fields_and_encodings() {
        let open = invoice_of(&record(), NOW + 10);
        let json = serde_json::to_value(&open).unwrap();
        assert_eq!(json["state"], "OPEN");
        assert_eq!(json["settled"], false);
        assert_eq!(json["value"], "10000");
        assert_eq!(json["value_msat"], "10000500");
        assert_eq!(json["memo"], "coffee");
        assert_eq!(json["expiry"], "600");
        assert_eq!(json["cltv_expiry"], "80");
        assert_eq!(json["add_index"], "1");
        assert_eq!(json["creation_date"], "1700000000");
        assert_eq!(json["settle_date"], "0");
        assert_eq!(json["fallback_addr"], "");
        assert_eq!(json["private"], false);
        assert_eq!(json["is_amp"], false);
        assert_eq!(json["route_hints"], serde_json::json!([]));
        assert_eq!(json["htlcs"], serde_json::json!([]));
        assert_eq!(json["description_hash"], "");
        // bytes are base64: 32 bytes of 0x33.
        assert_eq!(
            json["payment_addr"],
            "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM="
        );
        assert_eq!(
            json["r_hash"],
            base64_of(&sha256::Hash::hash(&[0x22; 32]).to_byte_array())
        );
        assert_eq!(json["features"]["14"]["name"], "payment-addr");
        assert_eq!(json["features"]["14"]["is_required"], true);

        // Past its expiry an open invoice reads canceled.
        assert_eq!(
            invoice_of(&record(), NOW + 600).state,
            ApiInvoiceState::Canceled
        );
        let settled = InvoiceRecord {
            state: InvoiceState::Settled,
            settle_index: 1,
            settled_at: Some(NOW + 5),
            amt_paid_msat: Msat(10_000_500),
            ..record()
        };
        let json = serde_json::to_value(invoice_of(&settled, NOW + 10_000)).unwrap();
        assert_eq!(json["state"], "SETTLED");
        assert_eq!(json["settled"], true);
        assert_eq!(json["settle_date"], "1700000005");
        assert_eq!(json["settle_index"], "1");
        assert_eq!(json["amt_paid"], "10000500");
        assert_eq!(json["amt_paid_sat"], "10000");
        assert_eq!(json["amt_paid_msat"], "10000500");

        // A description hash comes from the payment request.
        let hashed = InvoiceRecord {
            payment_request: bolt11(None, None),
            value_msat: None,
            ..record()
        };
        let shown = invoice_of(&hashed, NOW);
        assert_eq!(
            shown.description_hash,
            sha256::Hash::hash(b"long").to_byte_array()
        );
        assert_eq!((shown.value, shown.value_msat), (0, 0));
        // A keysend has no payment request: no features.
        let keysend = InvoiceRecord {
            payment_request: String::new(),
            is_keysend: true,
            ..record()
        };
        let shown = invoice_of(&keysend, NOW);
        assert!(shown.is_keysend && shown.features.is_empty());
    }

    fn base64_of(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn payment_hashes_are_checked_as_lnd_does() {
        let hash = "ab".repeat(32);
        assert_eq!(parse_payment_hash(&hash).unwrap(), [0xab; 32]);
        for (text, why) in [
            ("zz", "invalid payment hash"),
            ("abc", "invalid payment hash"),
            ("abcd", "must be exactly 32 bytes, is instead 2"),
        ] {
            let e = parse_payment_hash(text).unwrap_err();
            assert_eq!(code(&e), (GrpcCode::InvalidArgument, 400));
            assert!(e.0.message.contains(why), "{}", e.0.message);
        }
        // An unknown hash: the manager's NotFound is lnd's 404.
        let e = ApiError::from(CommandError::NotFound(
            "there are no existing invoices".into(),
        ));
        assert_eq!(code(&e), (GrpcCode::NotFound, 404));
        assert_eq!(e.0.message, "there are no existing invoices");
    }

    fn numbered(n: u64) -> Vec<u64> {
        (1..=n).collect()
    }

    #[test]
    fn pages_follow_lnds_offsets() {
        let p = |offset, max, reversed| page(numbered(10), |i| *i, offset, max, reversed);
        assert_eq!(p(0, 3, false), [1, 2, 3]);
        assert_eq!(p(3, 3, false), [4, 5, 6]);
        assert_eq!(p(9, 3, false), [10]);
        assert!(p(10, 3, false).is_empty());
        assert_eq!(p(0, 3, true), [8, 9, 10]);
        assert_eq!(p(8, 3, true), [5, 6, 7]);
        assert_eq!(p(2, 3, true), [1]);
        assert!(p(1, 3, true).is_empty());
        assert_eq!(p(0, u64::MAX, true), numbered(10));
        assert!(p(0, 0, false).is_empty());
    }

    #[test]
    fn list_invoices_filters_and_pages() {
        let records: Vec<InvoiceRecord> = (1..=5)
            .map(|i| InvoiceRecord {
                add_index: i,
                payment_hash: [i as u8; 32],
                created_at: NOW + i,
                state: if i == 2 {
                    InvoiceState::Settled
                } else {
                    InvoiceState::Open
                },
                ..record()
            })
            .rev()
            .collect();
        let list = |request: ListInvoiceRequest, now| {
            let r = list_invoices_response(records.clone(), &request, now);
            let indexes: Vec<u64> = r.invoices.iter().map(|i| i.add_index).collect();
            (indexes, r.first_index_offset, r.last_index_offset)
        };
        assert_eq!(
            list(ListInvoiceRequest::default(), NOW),
            (vec![1, 2, 3, 4, 5], 1, 5)
        );
        let pending = ListInvoiceRequest {
            pending_only: true,
            ..Default::default()
        };
        assert_eq!(list(pending.clone(), NOW), (vec![1, 3, 4, 5], 1, 5));
        // Expired: no longer pending.
        assert_eq!(list(pending, NOW + 10_000), (vec![], 0, 0));
        assert_eq!(
            list(
                ListInvoiceRequest {
                    reversed: true,
                    num_max_invoices: 2,
                    ..Default::default()
                },
                NOW
            ),
            (vec![4, 5], 4, 5)
        );
        assert_eq!(
            list(
                ListInvoiceRequest {
                    index_offset: 2,
                    num_max_invoices: 2,
                    ..Default::default()
                },
                NOW
            ),
            (vec![3, 4], 3, 4)
        );
        assert_eq!(
            list(
                ListInvoiceRequest {
                    creation_date_start: NOW + 2,
                    creation_date_end: NOW + 3,
                    ..Default::default()
                },
                NOW
            ),
            (vec![2, 3], 2, 3)
        );
    }

    #[test]
    fn decode_pay_req_shows_lnds_fields() {
        let text = bolt11(Some(10_000_500), Some("coffee"));
        let decoded = decode_pay_req(&format!(" {text}\n"), Network::Regtest).unwrap();
        let node = PublicKey::from_secret_key(&Secp256k1::new(), &node_key());
        assert_eq!(decoded.destination, node.to_string());
        assert_eq!(
            decoded.payment_hash,
            hex::encode(sha256::Hash::hash(&[0x22; 32]).to_byte_array())
        );
        assert_eq!(
            (decoded.num_satoshis, decoded.num_msat),
            (10_000, 10_000_500)
        );
        assert_eq!((decoded.timestamp, decoded.expiry), (i64_of(NOW), 600));
        assert_eq!(decoded.cltv_expiry, 80);
        assert_eq!(decoded.description, "coffee");
        assert_eq!(decoded.description_hash, "");
        assert_eq!(decoded.payment_addr, [0x33; 32]);
        assert!(decoded.route_hints.is_empty() && decoded.fallback_addr.is_empty());
        assert!(decoded.features.contains_key(&14));
        let json = serde_json::to_value(&decoded).unwrap();
        assert_eq!(json["num_satoshis"], "10000");
        assert_eq!(
            json["payment_addr"],
            "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM="
        );

        let hashed = decode_pay_req(&bolt11(None, None), Network::Regtest).unwrap();
        assert_eq!(hashed.description, "");
        assert_eq!(
            hashed.description_hash,
            hex::encode(sha256::Hash::hash(b"long").to_byte_array())
        );
        assert_eq!(hashed.num_msat, 0);

        for (text, network, why) in [
            ("lnbcrt1garbage", Network::Regtest, ""),
            ("", Network::Regtest, ""),
            (
                text.as_str(),
                Network::Signet,
                "invoice not for current active network 'signet'",
            ),
        ] {
            let e = decode_pay_req(text, network).unwrap_err();
            assert_eq!(code(&e), (GrpcCode::InvalidArgument, 400));
            assert!(
                !e.0.message.is_empty() && e.0.message.contains(why),
                "{}",
                e.0.message
            );
        }
    }

    fn peer() -> PublicKey {
        PublicKey::from_secret_key(&Secp256k1::new(), &node_key())
    }

    #[test]
    fn send_requests_become_invoice_payments_or_keysends() {
        let c = send_payment_command(&SendRequest {
            payment_request: " lnbcrt1x ".into(),
            amt: 5,
            fee_limit: Some(Default::default()),
            outgoing_chan_id: 7,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.payment_request.as_deref(), Some("lnbcrt1x"));
        assert_eq!(c.amount, Some(Msat(5_000)));
        assert!(!c.keysend && c.destination.is_none());

        let preimage = [7u8; 32];
        let hash = sha256::Hash::hash(&preimage).to_byte_array();
        let keysend = SendRequest {
            dest: peer().serialize().to_vec(),
            amt_msat: 1_500,
            dest_custom_records: [(KEYSEND_RECORD, preimage.to_vec())].into(),
            payment_hash: hash.to_vec(),
            ..Default::default()
        };
        let c = send_payment_command(&keysend).unwrap();
        assert!(c.keysend);
        assert_eq!(c.keysend_preimage, Some(preimage));
        assert_eq!(c.destination, Some(peer()));
        assert_eq!(c.amount, Some(Msat(1_500)));
        // The hex forms.
        let c = send_payment_command(&SendRequest {
            dest: Vec::new(),
            dest_string: peer().to_string(),
            payment_hash: Vec::new(),
            payment_hash_string: hex::encode(hash),
            ..keysend.clone()
        })
        .unwrap();
        assert_eq!(c.destination, Some(peer()));

        for (request, why) in [
            (
                SendRequest {
                    amt: 1,
                    amt_msat: 1,
                    ..keysend.clone()
                },
                "mutually exclusive",
            ),
            (
                SendRequest {
                    amt: -1,
                    amt_msat: 0,
                    ..keysend.clone()
                },
                "must not be negative",
            ),
            (
                SendRequest {
                    payment_hash: vec![0; 32],
                    ..keysend.clone()
                },
                "not the SHA-256",
            ),
            (
                SendRequest {
                    payment_hash: vec![0; 3],
                    ..keysend.clone()
                },
                "exactly 32 bytes",
            ),
            (
                SendRequest {
                    dest: vec![2; 5],
                    ..keysend.clone()
                },
                "not a node public key",
            ),
            (
                SendRequest {
                    dest_custom_records: [(KEYSEND_RECORD, vec![1; 31])].into(),
                    payment_hash: Vec::new(),
                    ..keysend.clone()
                },
                "must be 32 bytes",
            ),
            (
                SendRequest {
                    dest_custom_records: [(KEYSEND_RECORD, preimage.to_vec()), (70_000, vec![])]
                        .into(),
                    ..keysend.clone()
                },
                "not supported (record 70000)",
            ),
            (
                SendRequest {
                    dest_custom_records: [(5, vec![])].into(),
                    ..keysend.clone()
                },
                "below 65536",
            ),
            (
                SendRequest {
                    dest_custom_records: Default::default(),
                    ..keysend.clone()
                },
                "without an invoice is not supported",
            ),
            (
                SendRequest {
                    dest: Vec::new(),
                    ..keysend.clone()
                },
                "give payment_request",
            ),
            (
                SendRequest {
                    payment_request: "lnbcrt1x".into(),
                    ..keysend.clone()
                },
                "cannot be sent with a payment request",
            ),
        ] {
            let e = send_payment_command(&request).unwrap_err();
            assert_eq!(code(&e), (GrpcCode::InvalidArgument, 400), "{why}");
            assert!(e.0.message.contains(why), "{}: {why}", e.0.message);
        }
    }

    fn payment(state: PaymentState) -> PaymentRecord {
        PaymentRecord {
            payment_hash: [0xab; 32],
            index: 1,
            value_msat: Msat(10_000_500),
            fee_msat: Msat(0),
            destination: peer(),
            payment_request: bolt11(Some(10_000_500), Some("coffee")),
            created_at: NOW,
            state,
            preimage: (state == PaymentState::Succeeded).then_some([0x22; 32]),
            failure: (state == PaymentState::Failed).then(|| NO_ROUTE.to_owned()),
            htlc: None,
            cltv_expiry: 526,
            shared_secrets: Vec::new(),
        }
    }

    #[test]
    fn send_responses_as_lnd_answers() {
        let ok = send_response(&payment(PaymentState::Succeeded), &[]);
        assert_eq!(ok.payment_error, "");
        assert_eq!(ok.payment_preimage, [0x22; 32]);
        assert_eq!(ok.payment_hash, [0xab; 32]);
        let route = ok.payment_route.unwrap();
        assert_eq!(route.total_time_lock, 526);
        assert_eq!(
            (route.total_amt, route.total_amt_msat),
            (10_000, 10_000_500)
        );
        assert_eq!((route.total_fees, route.total_fees_msat), (0, 0));
        let hop = &route.hops[0];
        assert_eq!(hop.pub_key, peer().to_string());
        assert_eq!((hop.expiry, hop.amt_to_forward_msat), (526, 10_000_500));
        assert!(hop.tlv_payload && hop.custom_records.is_empty());
        let mpp = hop.mpp_record.as_ref().unwrap();
        assert_eq!(mpp.payment_addr, [0x33; 32]);
        assert_eq!(mpp.total_amt_msat, 10_000_500);
        let json =
            serde_json::to_value(send_response(&payment(PaymentState::Succeeded), &[])).unwrap();
        assert_eq!(
            json["payment_preimage"],
            "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
        );
        assert_eq!(json["payment_route"]["hops"][0]["chan_id"], "0");

        // A keysend's route carries the preimage record.
        let keysend = PaymentRecord {
            payment_request: String::new(),
            ..payment(PaymentState::Succeeded)
        };
        let hop = &route_of(&keysend, &[]).hops[0];
        assert_eq!(hop.custom_records[&KEYSEND_RECORD], [0x22; 32]);
        assert!(hop.mpp_record.is_none());

        // A failure is an answer, not an error.
        let failed = send_response(&payment(PaymentState::Failed), &[]);
        assert_eq!(failed.payment_error, NO_ROUTE);
        assert!(failed.payment_route.is_none() && failed.payment_preimage.is_empty());
        assert_eq!(failed.payment_hash, [0xab; 32]);
        let json = serde_json::to_value(&failed).unwrap();
        assert_eq!(json["payment_route"], serde_json::Value::Null);
        assert_eq!(
            send_response(&payment(PaymentState::InFlight), &[]).payment_error,
            IN_TRANSITION
        );
    }

    #[test]
    fn failure_reasons_from_the_failure_text() {
        let failed = |text: &str| PaymentRecord {
            failure: Some(text.into()),
            ..payment(PaymentState::Failed)
        };
        for (text, want) in [
            (NO_ROUTE, PaymentFailureReason::NoRoute),
            (
                "unable to find a path to destination: the peer is not connected",
                PaymentFailureReason::NoRoute,
            ),
            (
                "insufficient local balance: at most 5 sat can be sent to this peer now",
                PaymentFailureReason::InsufficientBalance,
            ),
            (
                "incorrect_or_unknown_payment_details",
                PaymentFailureReason::IncorrectPaymentDetails,
            ),
            ("mpp_timeout", PaymentFailureReason::Timeout),
            ("temporary_channel_failure", PaymentFailureReason::Error),
            ("failure code 0x1234", PaymentFailureReason::Error),
        ] {
            assert_eq!(failure_reason(&failed(text)), want, "{text}");
        }
        assert_eq!(
            failure_reason(&payment(PaymentState::Succeeded)),
            PaymentFailureReason::None
        );
        assert_eq!(
            failure_reason(&payment(PaymentState::InFlight)),
            PaymentFailureReason::None
        );
    }

    #[test]
    fn payments_show_lnds_fields() {
        let json = serde_json::to_value(payment_of(&payment(PaymentState::InFlight))).unwrap();
        assert_eq!(json["status"], "IN_FLIGHT");
        assert_eq!(json["payment_hash"], "ab".repeat(32));
        assert_eq!(json["payment_preimage"], "00".repeat(32));
        assert_eq!(json["value_sat"], "10000");
        assert_eq!(json["value_msat"], "10000500");
        assert_eq!(json["creation_time_ns"], "1700000000000000000");
        assert_eq!(json["failure_reason"], "FAILURE_REASON_NONE");
        let json = serde_json::to_value(payment_of(&payment(PaymentState::Succeeded))).unwrap();
        assert_eq!(json["status"], "SUCCEEDED");
        assert_eq!(json["payment_preimage"], "22".repeat(32));
        let json = serde_json::to_value(payment_of(&payment(PaymentState::Failed))).unwrap();
        assert_eq!(json["status"], "FAILED");
        assert_eq!(json["failure_reason"], "FAILURE_REASON_NO_ROUTE");
    }

    #[test]
    fn list_payments_filters_and_pages() {
        let records: Vec<PaymentRecord> = [
            PaymentState::Succeeded,
            PaymentState::Failed,
            PaymentState::Succeeded,
            PaymentState::InFlight,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, state)| PaymentRecord {
            index: i as u64 + 1,
            payment_hash: [i as u8; 32],
            ..payment(state)
        })
        .collect();
        let list = |request: ListPaymentsRequest, incomplete| {
            let r = list_payments_response(records.clone(), &request, incomplete);
            let indexes: Vec<u64> = r.payments.iter().map(|p| p.payment_index).collect();
            (
                indexes,
                r.first_index_offset,
                r.last_index_offset,
                r.total_num_payments,
            )
        };
        assert_eq!(
            list(ListPaymentsRequest::default(), true),
            (vec![1, 2, 3, 4], 1, 4, 0)
        );
        assert_eq!(
            list(ListPaymentsRequest::default(), false),
            (vec![1, 3], 1, 3, 0)
        );
        assert_eq!(
            list(
                ListPaymentsRequest {
                    reversed: true,
                    max_payments: 2,
                    count_total_payments: true,
                    ..Default::default()
                },
                true
            ),
            (vec![3, 4], 3, 4, 4)
        );
        assert_eq!(
            list(
                ListPaymentsRequest {
                    index_offset: 1,
                    max_payments: 2,
                    ..Default::default()
                },
                true
            ),
            (vec![2, 3], 2, 3, 0)
        );
        assert!(query_has(
            Some("a=1&include_incomplete=false"),
            "include_incomplete"
        ));
        assert!(!query_has(Some("max_payments=1"), "include_incomplete"));
        assert!(!query_has(None, "include_incomplete"));
    }
}
