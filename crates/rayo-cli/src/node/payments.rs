//! The invoice and payment verbs, lncli's names and flags: `addinvoice`,
//! `lookupinvoice`, `listinvoices`, `decodepayreq`, `sendpayment`,
//! `payinvoice`, `listpayments` (and `channelbalance`, which takes no
//! flags).
//!
//! lncli's `sendpayment` and `payinvoice` ask for confirmation unless
//! `--force`; Rayo never asks, so scripts never block (`--force` and `-f`
//! are accepted). A keysend's preimage is drawn here from the operating
//! system's generator, as lncli does, and sent with its hash.

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args};
use rayo_api::address::pubkey_bytes;
use rayo_api::types::{
    FeeLimit, Invoice, ListInvoiceRequest, ListPaymentsRequest, SendRequest, KEYSEND_RECORD,
};

use super::peers::parse_duration_secs;
use super::NodeFlags;

/// The `bytes` fields of `addinvoice`'s, `lookupinvoice`'s and
/// `listinvoices`' answers, printed as hex (as lncli prints bytes).
pub(super) const INVOICE_BYTES: &[&str] = &[
    "r_preimage",
    "r_hash",
    "description_hash",
    "payment_addr",
    "custom_records",
];

/// The `bytes` fields of `decodepayreq`'s answer.
pub(super) const PAY_REQ_BYTES: &[&str] = &["payment_addr"];

/// The `bytes` fields of `sendpayment`'s answer (lnd's `SendResponse` and
/// its route).
pub(super) const SEND_BYTES: &[&str] = &[
    "payment_preimage",
    "payment_hash",
    "payment_addr",
    "custom_records",
    "metadata",
    "blinding_point",
    "encrypted_data",
    "custom_channel_data",
    "root_share",
    "set_id",
];

/// The `bytes` fields of `listpayments`' answer.
pub(super) const PAYMENTS_BYTES: &[&str] = &["first_hop_custom_records", "custom_records"];

/// The `bytes` fields of `channelbalance`'s and `listchannels`' answers.
pub(super) const CHANNEL_BYTES: &[&str] = &["hash_lock", "custom_channel_data"];

/// lncli's `StripPrefix`: an invoice without surrounding space or a
/// `lightning:` URI scheme.
pub(super) fn strip_prefix(text: &str) -> String {
    let text = text.trim();
    match text.get(..10) {
        Some(scheme) if scheme.eq_ignore_ascii_case("lightning:") => text[10..].to_owned(),
        _ => text.to_owned(),
    }
}

/// `rayo addinvoice`: lncli's flags, and its positional `VALUE`.
#[derive(Args, Debug)]
pub struct AddInvoiceArgs {
    /// A description of the payment, put in the invoice
    #[arg(long, value_name = "TEXT")]
    memo: Option<String>,
    /// The amount in satoshis (--value is the older spelling); none or 0
    /// makes an invoice for any amount
    #[arg(long = "amt", visible_alias = "value", value_name = "SAT",
          value_parser = clap::value_parser!(i64).range(0..),
          conflicts_with_all = ["amt_msat", "value_arg"])]
    amt: Option<i64>,
    /// The amount in millisatoshis
    #[arg(long = "amt_msat", alias = "amt-msat", value_name = "MSAT",
          value_parser = clap::value_parser!(i64).range(0..),
          conflicts_with = "value_arg")]
    amt_msat: Option<i64>,
    /// Seconds the invoice stays payable [default: 86400]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(i64).range(0..))]
    expiry: Option<i64>,
    /// SHA-256 of a description given elsewhere (64 hex characters), put in
    /// the invoice instead of the memo
    #[arg(
        long = "description_hash",
        alias = "description-hash",
        value_name = "HEX"
    )]
    description_hash: Option<String>,
    /// The final CLTV delta the payer's HTLC must leave, at least 18
    /// [default: 80]
    #[arg(long = "cltv_expiry_delta", alias = "cltv-expiry-delta", value_name = "BLOCKS",
          value_parser = clap::value_parser!(u64).range(0..=65_535))]
    cltv_expiry_delta: Option<u64>,
    /// Accepted for lncli compatibility: no route hints are added (payers
    /// reach Rayo over a direct channel)
    #[arg(long, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    private: bool,
    /// Not supported: the node draws each invoice's preimage
    #[arg(long, value_name = "HEX", hide = true)]
    preimage: Option<String>,
    /// The amount in satoshis, as lncli's first argument
    #[arg(value_name = "VALUE", value_parser = clap::value_parser!(i64).range(0..))]
    value_arg: Option<i64>,
    #[command(flatten)]
    pub(super) conn: NodeFlags,
}

/// 32 bytes from 64 hex characters, or why not (`what` names the value).
fn hash_bytes(text: &str, what: &str) -> Result<[u8; 32], String> {
    let bytes =
        hex::decode(text.trim()).map_err(|e| format!("unable to decode {what} `{text}`: {e}"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        format!(
            "{what} must be exactly 32 bytes (64 hex characters), is instead {}",
            bytes.len()
        )
    })
}

/// The `POST /v1/invoices` body of `addinvoice`.
pub(super) fn add_invoice_request(args: AddInvoiceArgs) -> Result<Invoice, String> {
    if args.preimage.is_some() {
        return Err(
            "--preimage is not supported: the node draws each invoice's preimage".to_owned(),
        );
    }
    let description_hash = match &args.description_hash {
        Some(text) => hash_bytes(text, "--description_hash")?.to_vec(),
        None => Vec::new(),
    };
    Ok(Invoice {
        memo: args.memo.unwrap_or_default(),
        value: args.amt.or(args.value_arg).unwrap_or(0),
        value_msat: args.amt_msat.unwrap_or(0),
        expiry: args.expiry.unwrap_or(0),
        description_hash,
        cltv_expiry: args.cltv_expiry_delta.unwrap_or(0),
        private: args.private,
        ..Invoice::default()
    })
}

/// `rayo lookupinvoice`: the payment hash as argument or `--rhash`.
#[derive(Args, Debug)]
pub struct LookupInvoiceArgs {
    /// The invoice's payment hash (64 hex characters)
    #[arg(
        value_name = "RHASH",
        required_unless_present = "rhash",
        conflicts_with = "rhash"
    )]
    rhash_arg: Option<String>,
    /// The invoice's payment hash (lncli's flag form)
    #[arg(long, value_name = "RHASH")]
    rhash: Option<String>,
    #[command(flatten)]
    pub(super) conn: NodeFlags,
}

/// The payment hash of `lookupinvoice`, hex, checked.
pub(super) fn lookup_invoice_hash(args: LookupInvoiceArgs) -> Result<String, String> {
    let text = args
        .rhash
        .or(args.rhash_arg)
        .ok_or("lookupinvoice needs the payment hash: rayo lookupinvoice RHASH")?;
    Ok(hex::encode(hash_bytes(&text, "the rhash argument")?))
}

/// `rayo listinvoices`.
#[derive(Args, Debug)]
pub struct ListInvoicesArgs {
    /// Only invoices that can still be paid
    #[arg(long = "pending_only", alias = "pending-only", action = ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_value = "false",
          default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    pending_only: bool,
    /// The add index to page from (not included)
    #[arg(long = "index_offset", alias = "index-offset", value_name = "N")]
    index_offset: Option<u64>,
    /// The most invoices to list [default: 100]
    #[arg(long = "max_invoices", alias = "max-invoices", value_name = "N")]
    max_invoices: Option<u64>,
    /// Page backwards from --index_offset, newest invoices first (the
    /// default, as lncli)
    #[arg(long, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_value = "true", default_missing_value = "true",
          hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    reversed: bool,
    /// Page forwards from --index_offset instead
    #[arg(long = "paginate-forwards", alias = "paginate_forwards", action = ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_value = "false",
          default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new(), conflicts_with = "reversed")]
    paginate_forwards: bool,
    #[command(flatten)]
    pub(super) conn: NodeFlags,
}

/// The `GET /v1/invoices` query of `listinvoices`.
pub(super) fn list_invoices_request(args: ListInvoicesArgs) -> ListInvoiceRequest {
    ListInvoiceRequest {
        pending_only: args.pending_only,
        index_offset: args.index_offset.unwrap_or(0),
        num_max_invoices: args.max_invoices.unwrap_or(0),
        reversed: args.reversed && !args.paginate_forwards,
        ..ListInvoiceRequest::default()
    }
}

/// `rayo decodepayreq`: the invoice as argument or `--pay_req`.
#[derive(Args, Debug)]
pub struct DecodePayReqArgs {
    /// The invoice to decode
    #[arg(
        value_name = "PAY_REQ",
        required_unless_present = "pay_req",
        conflicts_with = "pay_req"
    )]
    pay_req_arg: Option<String>,
    /// The invoice to decode (lncli's flag form)
    #[arg(long = "pay_req", alias = "pay-req", value_name = "PAY_REQ")]
    pay_req: Option<String>,
    #[command(flatten)]
    pub(super) conn: NodeFlags,
}

/// The invoice of `decodepayreq`.
pub(super) fn decode_pay_req_text(args: DecodePayReqArgs) -> Result<String, String> {
    let text = args
        .pay_req
        .or(args.pay_req_arg)
        .ok_or("decodepayreq needs the invoice: rayo decodepayreq PAY_REQ")?;
    Ok(strip_prefix(&text))
}

/// The flags `sendpayment` and `payinvoice` share.
#[derive(Args, Debug)]
pub struct PaymentOptions {
    /// The invoice to pay
    #[arg(long = "pay_req", alias = "pay-req", value_name = "INVOICE")]
    pay_req: Option<String>,
    /// The amount in satoshis: for an invoice without one, or a keysend
    #[arg(short = 'a', long = "amt", value_name = "SAT",
          value_parser = clap::value_parser!(i64).range(1..))]
    amt: Option<i64>,
    /// The most fee to pay, in satoshis (payments over a direct channel pay
    /// none)
    #[arg(long = "fee_limit", alias = "fee-limit", value_name = "SAT",
          value_parser = clap::value_parser!(i64).range(0..),
          conflicts_with = "fee_limit_percent")]
    fee_limit: Option<i64>,
    /// The most fee to pay, in percent of the amount
    #[arg(long = "fee_limit_percent", alias = "fee-limit-percent", value_name = "PERCENT",
          value_parser = clap::value_parser!(i64).range(0..))]
    fee_limit_percent: Option<i64>,
    /// Accepted for lncli compatibility (60s, 1m): the node makes one
    /// attempt and answers when it ends
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_secs)]
    timeout: Option<u64>,
    /// Accepted for lncli compatibility: Rayo never asks for confirmation
    #[arg(short = 'f', long, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    force: bool,
    /// Accepted for lncli compatibility: the answer is always JSON
    #[arg(long, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    json: bool,
}

impl PaymentOptions {
    fn fee_limit(&self) -> Option<FeeLimit> {
        match (self.fee_limit, self.fee_limit_percent) {
            (Some(fixed), _) => Some(FeeLimit {
                fixed,
                ..FeeLimit::default()
            }),
            (None, Some(percent)) => Some(FeeLimit {
                percent,
                ..FeeLimit::default()
            }),
            (None, None) => None,
        }
    }

    /// The request paying `invoice`.
    fn invoice_payment(&self, invoice: &str) -> SendRequest {
        SendRequest {
            payment_request: strip_prefix(invoice),
            amt: self.amt.unwrap_or(0),
            fee_limit: self.fee_limit(),
            ..SendRequest::default()
        }
    }
}

/// `rayo sendpayment`: `--pay_req INVOICE` (or the invoice as argument), or
/// a keysend `--dest PUBKEY --amt SAT --keysend` (or `DEST AMT --keysend`).
#[derive(Args, Debug)]
pub struct SendPaymentArgs {
    #[command(flatten)]
    options: PaymentOptions,
    /// The payee's node public key (with --keysend)
    #[arg(short = 'd', long, value_name = "PUBKEY")]
    dest: Option<String>,
    /// Pay --dest without an invoice: a fresh preimage goes in the payment
    #[arg(long, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    keysend: bool,
    /// A payment hash to pay without an invoice (not supported: use
    /// --pay_req, or --keysend)
    #[arg(
        short = 'r',
        long = "payment_hash",
        alias = "payment-hash",
        value_name = "HASH"
    )]
    payment_hash: Option<String>,
    /// Accepted for lncli compatibility: keysend payments use a final CLTV
    /// delta of 42
    #[arg(long = "final_cltv_delta", alias = "final-cltv-delta", value_name = "BLOCKS",
          value_parser = clap::value_parser!(i32).range(0..))]
    final_cltv_delta: Option<i32>,
    /// INVOICE, or DEST AMT as lncli takes them
    #[arg(value_name = "ARGS", num_args = 0..=3)]
    args: Vec<String>,
    #[command(flatten)]
    pub(super) conn: NodeFlags,
}

/// Whether `text` reads as a BOLT 11 invoice rather than a node key.
fn looks_like_invoice(text: &str) -> bool {
    let text = strip_prefix(text);
    text.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("ln"))
}

/// The `POST /v1/channels/transactions` body of `sendpayment`; `draw`
/// gives a keysend's preimage (the OS generator in `rayo`).
pub(super) fn send_payment_request(
    args: SendPaymentArgs,
    draw: impl FnOnce() -> Result<[u8; 32], String>,
) -> Result<SendRequest, String> {
    let usage = "rayo sendpayment --pay_req=<invoice>, or rayo sendpayment --dest PUBKEY --amt SAT --keysend";
    let mut words = args.args.into_iter().peekable();
    let invoice = match args.options.pay_req.clone() {
        Some(invoice) => Some(invoice),
        // lncli takes DEST AMT ... as arguments; an invoice there is Rayo's
        // shorthand for --pay_req.
        None if args.dest.is_none() && words.peek().is_some_and(|w| looks_like_invoice(w)) => {
            words.next()
        }
        None => None,
    };
    let Some(invoice) = invoice else {
        return keysend_request(
            args.options,
            args.keysend,
            args.payment_hash,
            args.dest,
            words,
            args.final_cltv_delta,
            draw,
            usage,
        );
    };
    if let Some(extra) = words.next() {
        return Err(format!(
            "unexpected argument `{extra}`: the invoice holds the payment's details"
        ));
    }
    if args.keysend || args.dest.is_some() {
        return Err("give --pay_req (an invoice) or --dest with --keysend, not both".to_owned());
    }
    if args.payment_hash.is_some() {
        return Err(
            "--payment_hash comes from the invoice: do not give it with --pay_req".to_owned(),
        );
    }
    Ok(args.options.invoice_payment(&invoice))
}

/// A payment to a node without an invoice: only keysend is supported.
#[allow(clippy::too_many_arguments)]
fn keysend_request(
    options: PaymentOptions,
    keysend: bool,
    payment_hash: Option<String>,
    dest: Option<String>,
    mut words: impl Iterator<Item = String>,
    final_cltv_delta: Option<i32>,
    draw: impl FnOnce() -> Result<[u8; 32], String>,
    usage: &str,
) -> Result<SendRequest, String> {
    let dest = dest
        .or_else(|| words.next())
        .ok_or_else(|| format!("sendpayment needs an invoice or a payee: {usage}"))?;
    let dest = pubkey_bytes(&dest).map_err(|e| e.to_string())?;
    let amt = match options.amt {
        Some(amt) => amt,
        None => match words.next() {
            Some(word) => word
                .parse::<i64>()
                .ok()
                .filter(|a| *a > 0)
                .ok_or_else(|| format!("`{word}` is not a positive amount in satoshis"))?,
            None => return Err(format!("a payment to a node needs --amt SAT: {usage}")),
        },
    };
    let payment_hash = payment_hash.or_else(|| words.next());
    if let Some(extra) = words.next() {
        return Err(format!("unexpected argument `{extra}`"));
    }
    match (keysend, payment_hash) {
        (true, Some(_)) => return Err("cannot set payment hash when using keysend".to_owned()),
        (false, Some(_)) => {
            return Err(
                "paying a payment hash without an invoice is not supported: use --pay_req, or --keysend"
                    .to_owned(),
            )
        }
        (false, None) => {
            return Err(format!(
                "a payment to a node without an invoice needs --keysend: {usage}"
            ))
        }
        (true, None) => {}
    }
    let preimage = draw()?;
    let hash = ring::digest::digest(&ring::digest::SHA256, &preimage);
    Ok(SendRequest {
        dest,
        amt,
        payment_hash: hash.as_ref().to_vec(),
        dest_custom_records: [(KEYSEND_RECORD, preimage.to_vec())].into(),
        final_cltv_delta: final_cltv_delta.unwrap_or(0),
        fee_limit: options.fee_limit(),
        ..SendRequest::default()
    })
}

/// 32 bytes from the operating system's generator (a keysend preimage).
pub(super) fn random_preimage() -> Result<[u8; 32], String> {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the operating system's random generator failed".to_owned())?;
    Ok(bytes)
}

/// `rayo payinvoice`: the invoice as argument or `--pay_req`.
#[derive(Args, Debug)]
pub struct PayInvoiceArgs {
    #[command(flatten)]
    options: PaymentOptions,
    /// The invoice to pay
    #[arg(value_name = "PAY_REQ", conflicts_with = "pay_req")]
    pay_req_arg: Option<String>,
    #[command(flatten)]
    pub(super) conn: NodeFlags,
}

/// The `POST /v1/channels/transactions` body of `payinvoice`.
pub(super) fn pay_invoice_request(args: PayInvoiceArgs) -> Result<SendRequest, String> {
    let invoice = args
        .options
        .pay_req
        .clone()
        .or(args.pay_req_arg)
        .ok_or("payinvoice needs the invoice: rayo payinvoice PAY_REQ")?;
    Ok(args.options.invoice_payment(&invoice))
}

/// `rayo listpayments`.
#[derive(Args, Debug)]
pub struct ListPaymentsArgs {
    /// Also list payments in flight or failed
    #[arg(long = "include_incomplete", alias = "include-incomplete", action = ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_value = "false",
          default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    include_incomplete: bool,
    /// The payment index to page from (not included)
    #[arg(long = "index_offset", alias = "index-offset", value_name = "N")]
    index_offset: Option<u64>,
    /// The most payments to list [default: all]
    #[arg(long = "max_payments", alias = "max-payments", value_name = "N")]
    max_payments: Option<u64>,
    /// Page forwards from --index_offset (backwards by default, newest
    /// first)
    #[arg(long = "paginate_forwards", alias = "paginate-forwards", action = ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_value = "false",
          default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    paginate_forwards: bool,
    /// Count every payment in total_num_payments
    #[arg(long = "count_total_payments", alias = "count-total-payments", action = ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_value = "false",
          default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    count_total_payments: bool,
    #[command(flatten)]
    pub(super) conn: NodeFlags,
}

/// The `GET /v1/payments` query of `listpayments`, as lncli builds it.
pub(super) fn list_payments_request(args: ListPaymentsArgs) -> ListPaymentsRequest {
    ListPaymentsRequest {
        include_incomplete: args.include_incomplete,
        index_offset: args.index_offset.unwrap_or(0),
        max_payments: args.max_payments.unwrap_or(0),
        reversed: !args.paginate_forwards,
        count_total_payments: args.count_total_payments,
        ..ListPaymentsRequest::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PK: &str = "02a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc";
    const INVOICE: &str = "lnbcrt100u1pjexample";

    fn parse<A: Args + clap::FromArgMatches>(
        verb: &'static str,
        argv: &[&str],
    ) -> Result<A, String> {
        let cmd = A::augment_args(clap::Command::new(verb));
        let matches = cmd
            .try_get_matches_from(std::iter::once(verb).chain(argv.iter().copied()))
            .map_err(|e| e.to_string())?;
        A::from_arg_matches(&matches).map_err(|e| e.to_string())
    }

    fn add(argv: &[&str]) -> Result<Invoice, String> {
        parse::<AddInvoiceArgs>("addinvoice", argv).and_then(add_invoice_request)
    }

    #[test]
    fn add_invoice_flags_and_positional_value() {
        let r = add(&["--amt=10000"]).unwrap();
        assert_eq!((r.value, r.value_msat), (10_000, 0));
        // The tutorial's spelling.
        let r = add(&["--value=10000", "--memo", "coffee"]).unwrap();
        assert_eq!((r.value, r.memo.as_str()), (10_000, "coffee"));
        let r = add(&["--value", "5"]).unwrap();
        assert_eq!(r.value, 5);
        // lncli's positional form.
        let r = add(&["2500"]).unwrap();
        assert_eq!(r.value, 2_500);
        let r = add(&[
            "--amt_msat",
            "1500",
            "--expiry",
            "600",
            "--cltv_expiry_delta",
            "40",
        ])
        .unwrap();
        assert_eq!(
            (r.value, r.value_msat, r.expiry, r.cltv_expiry),
            (0, 1_500, 600, 40)
        );
        let hash = "ab".repeat(32);
        let r = add(&["--description_hash", &hash, "--private"]).unwrap();
        assert_eq!(r.description_hash, [0xab; 32]);
        assert!(r.private);
        // Nothing: an invoice for any amount.
        let r = add(&[]).unwrap();
        assert_eq!((r.value, r.value_msat, r.memo.as_str()), (0, 0, ""));
        // The wire form.
        let json = serde_json::to_value(add(&["--amt", "7"]).unwrap()).unwrap();
        assert_eq!(json["value"], "7");

        for (argv, why) in [
            (
                &["--amt", "1", "--amt_msat", "1000"][..],
                "cannot be used with",
            ),
            (
                &["--amt", "1", "--value", "2"][..],
                "cannot be used multiple times",
            ),
            (&["--amt", "1", "5"][..], "cannot be used with"),
            (&["--amt", "-1"][..], "unexpected argument"),
            (&["--amt", "x"][..], "invalid value"),
            (
                &["--description_hash", "abcd"][..],
                "must be exactly 32 bytes",
            ),
            (&["--description_hash", "zz"][..], "unable to decode"),
            (&["--cltv_expiry_delta", "70000"][..], "not in 0..=65535"),
            (&["--preimage", "00"][..], "not supported"),
            (&["1", "2"][..], "unexpected argument"),
        ] {
            let err = add(argv).unwrap_err();
            assert!(err.contains(why), "{argv:?}: {err}");
        }
    }

    #[test]
    fn lookup_list_and_decode_flags() {
        let hash = "AB".repeat(32);
        let lookup = |argv: &[&str]| {
            parse::<LookupInvoiceArgs>("lookupinvoice", argv).and_then(lookup_invoice_hash)
        };
        assert_eq!(lookup(&[&hash]).unwrap(), "ab".repeat(32));
        assert_eq!(lookup(&["--rhash", &hash]).unwrap(), "ab".repeat(32));
        assert!(lookup(&[]).is_err());
        assert!(lookup(&["abcd"]).unwrap_err().contains("32 bytes"));
        assert!(lookup(&["xyz"]).unwrap_err().contains("unable to decode"));
        assert!(lookup(&[&hash, "--rhash", &hash]).is_err());

        let list = |argv: &[&str]| {
            parse::<ListInvoicesArgs>("listinvoices", argv).map(list_invoices_request)
        };
        let r = list(&[]).unwrap();
        assert_eq!(
            r,
            ListInvoiceRequest {
                reversed: true,
                ..Default::default()
            }
        );
        let r = list(&[
            "--max_invoices",
            "5",
            "--index_offset",
            "10",
            "--pending_only",
        ])
        .unwrap();
        assert_eq!(
            (
                r.num_max_invoices,
                r.index_offset,
                r.pending_only,
                r.reversed
            ),
            (5, 10, true, true)
        );
        assert!(!list(&["--paginate-forwards"]).unwrap().reversed);
        assert!(!list(&["--reversed=false"]).unwrap().reversed);
        assert!(list(&["--reversed"]).unwrap().reversed);
        assert!(list(&["--reversed", "--paginate-forwards"]).is_err());
        assert!(list(&["--max_invoices", "-1"]).is_err());

        let decode = |argv: &[&str]| {
            parse::<DecodePayReqArgs>("decodepayreq", argv).and_then(decode_pay_req_text)
        };
        assert_eq!(decode(&[INVOICE]).unwrap(), INVOICE);
        assert_eq!(decode(&["--pay_req", INVOICE]).unwrap(), INVOICE);
        assert_eq!(
            decode(&[&format!(" LIGHTNING:{INVOICE} ")]).unwrap(),
            INVOICE
        );
        assert!(decode(&[]).is_err());
    }

    fn send(argv: &[&str]) -> Result<SendRequest, String> {
        parse::<SendPaymentArgs>("sendpayment", argv)
            .and_then(|a| send_payment_request(a, || Ok([7; 32])))
    }

    #[test]
    fn send_payment_pays_invoices() {
        let r = send(&[&format!("--pay_req={INVOICE}")]).unwrap();
        assert_eq!(r.payment_request, INVOICE);
        assert_eq!(r.amt, 0);
        assert!(r.dest.is_empty() && r.dest_custom_records.is_empty());
        assert!(r.fee_limit.is_none());
        // Positional, with an amount for a zero-amount invoice, and lncli's
        // flags that do not change anything.
        let r = send(&[INVOICE, "--amt", "500", "-f", "--timeout", "60s", "--json"]).unwrap();
        assert_eq!((r.payment_request.as_str(), r.amt), (INVOICE, 500));
        let r = send(&["--pay_req", INVOICE, "--force", "--fee_limit", "10"]).unwrap();
        assert_eq!(r.fee_limit.map(|f| f.fixed), Some(10));
        let r = send(&["--pay_req", INVOICE, "--fee_limit_percent", "3"]).unwrap();
        assert_eq!(r.fee_limit.map(|f| f.percent), Some(3));
        let r = send(&[&format!("lightning:{INVOICE}")]).unwrap();
        assert_eq!(r.payment_request, INVOICE);

        for (argv, why) in [
            (&["--pay_req", INVOICE, "--keysend"][..], "not both"),
            (&["--pay_req", INVOICE, "--dest", PK][..], "not both"),
            (
                &["--pay_req", INVOICE, "-r", "00"][..],
                "comes from the invoice",
            ),
            (&["--pay_req", INVOICE, "x"][..], "unexpected argument `x`"),
            (&[INVOICE, "x"][..], "unexpected argument `x`"),
            (
                &[
                    "--pay_req",
                    INVOICE,
                    "--fee_limit",
                    "1",
                    "--fee_limit_percent",
                    "1",
                ][..],
                "cannot be used with",
            ),
            (&["--pay_req", INVOICE, "--amt", "0"][..], "not in 1.."),
            (
                &["--pay_req", INVOICE, "--timeout", "1h"][..],
                "not a duration",
            ),
            (&[][..], "needs an invoice or a payee"),
        ] {
            let err = send(argv).unwrap_err();
            assert!(err.contains(why), "{argv:?}: {err}");
        }
    }

    #[test]
    fn send_payment_keysend_draws_a_preimage() {
        let check = |r: SendRequest, amt| {
            assert_eq!(r.dest.len(), 33);
            assert_eq!(hex::encode(&r.dest), PK);
            assert_eq!(r.amt, amt);
            assert_eq!(r.dest_custom_records[&KEYSEND_RECORD], [7; 32]);
            let hash = ring::digest::digest(&ring::digest::SHA256, &[7; 32]);
            assert_eq!(r.payment_hash, hash.as_ref());
            assert!(r.payment_request.is_empty());
        };
        check(
            send(&["--dest", PK, "--amt", "1000", "--keysend"]).unwrap(),
            1000,
        );
        check(send(&["-d", PK, "-a", "5", "--keysend=true"]).unwrap(), 5);
        // lncli's positional DEST AMT.
        check(send(&[PK, "250", "--keysend"]).unwrap(), 250);
        check(send(&["--dest", PK, "250", "--keysend"]).unwrap(), 250);
        let r = send(&[
            "--dest",
            PK,
            "--amt",
            "1",
            "--keysend",
            "--final_cltv_delta",
            "40",
        ])
        .unwrap();
        assert_eq!(r.final_cltv_delta, 40);
        let json = serde_json::to_value(send(&[PK, "1", "--keysend"]).unwrap()).unwrap();
        assert_eq!(
            json["dest_custom_records"]["5482373484"],
            "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="
        );

        for (argv, why) in [
            (&["--dest", PK, "--amt", "1"][..], "needs --keysend"),
            (&["--dest", PK, "--keysend"][..], "needs --amt"),
            (
                &["--dest", PK, "x", "--keysend"][..],
                "not a positive amount",
            ),
            (
                &["--dest", PK, "0", "--keysend"][..],
                "not a positive amount",
            ),
            (
                &["--dest", "02ab", "--amt", "1", "--keysend"][..],
                "not a node public key",
            ),
            (
                &["--dest", PK, "--amt", "1", "--keysend", "-r", "00"][..],
                "cannot set payment hash",
            ),
            (
                &["--dest", PK, "--amt", "1", "--payment_hash", "00"][..],
                "not supported",
            ),
            (&[PK, "1", &"ab".repeat(32)][..], "not supported"),
            (
                &["--keysend", "--amt", "1"][..],
                "needs an invoice or a payee",
            ),
        ] {
            let err = send(argv).unwrap_err();
            assert!(err.contains(why), "{argv:?}: {err}");
        }
        // The generator's failure is reported.
        let args = parse::<SendPaymentArgs>("sendpayment", &[PK, "1", "--keysend"]).unwrap();
        assert_eq!(
            send_payment_request(args, || Err("no entropy".into())).unwrap_err(),
            "no entropy"
        );
        // The real generator gives different preimages.
        assert_ne!(random_preimage().unwrap(), random_preimage().unwrap());
    }

    #[test]
    fn pay_invoice_and_list_payments_flags() {
        let pay = |argv: &[&str]| {
            parse::<PayInvoiceArgs>("payinvoice", argv).and_then(pay_invoice_request)
        };
        assert_eq!(pay(&[INVOICE]).unwrap().payment_request, INVOICE);
        let r = pay(&["--pay_req", INVOICE, "--amt", "9", "-f"]).unwrap();
        assert_eq!((r.payment_request.as_str(), r.amt), (INVOICE, 9));
        assert!(pay(&[]).unwrap_err().contains("needs the invoice"));
        assert!(pay(&[INVOICE, "--pay_req", INVOICE]).is_err());

        let list = |argv: &[&str]| {
            parse::<ListPaymentsArgs>("listpayments", argv).map(list_payments_request)
        };
        // As lncli: newest first, complete payments only.
        assert_eq!(
            list(&[]).unwrap(),
            ListPaymentsRequest {
                reversed: true,
                ..Default::default()
            }
        );
        let r = list(&[
            "--include_incomplete",
            "--index_offset",
            "3",
            "--max_payments",
            "2",
            "--paginate_forwards",
            "--count_total_payments",
        ])
        .unwrap();
        assert!(r.include_incomplete && !r.reversed && r.count_total_payments);
        assert_eq!((r.index_offset, r.max_payments), (3, 2));
        assert!(list(&["--max_payments", "x"]).is_err());
    }

    #[test]
    fn invoices_are_stripped_as_lncli_does() {
        assert_eq!(strip_prefix("  lnbc1  "), "lnbc1");
        assert_eq!(strip_prefix("Lightning:lnbc1"), "lnbc1");
        assert_eq!(strip_prefix("light"), "light");
        assert!(looks_like_invoice("LNBC1"));
        assert!(!looks_like_invoice(PK));
    }
}
