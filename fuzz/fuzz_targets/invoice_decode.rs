//! `Invoice::from_str` (BOLT 11) on arbitrary input.
//!
//! The first byte picks a mode; the rest is the input:
//! * 0: the bytes as a string, so bech32 parsing, case and checksum are
//!   exercised (random strings rarely get past the checksum);
//! * 1: the bytes as 5-bit words (`b & 31`) behind a human-readable part
//!   picked by the second byte, with a valid checksum, so tagged-field
//!   decoding and the signature checks are reached;
//! * 2: as 1, but the words (minus room for a signature) are signed with a
//!   fixed key, so successful decodes are reached too.
//!
//! Properties:
//! * decoding never panics, whatever the input;
//! * whatever decodes writes back as exactly the input, lowercased, and that
//!   string decodes to the same invoice;
//! * the accessors a payer calls do not panic;
//! * the decoded fields rebuild with the builder (signed with the original
//!   signature) into an invoice with the same fields; when the rebuilt string
//!   is the original one, the invoices are equal. The only errors allowed are
//!   the signature no longer matching, which happens when the fields were not
//!   canonically encoded (non-zero padding bits) and so re-encode to
//!   different words.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rayo_invoice::{BuildError, Invoice, InvoiceBuilder, InvoiceError};
use rayo_wire::bitcoin::bech32::{Bech32, Fe32, Fe32IterExt, Hrp};
use rayo_wire::bitcoin::hashes::{sha256, Hash};
use rayo_wire::features::Features;
use rayo_wire::secp256k1::{Message, Secp256k1, SecretKey};

/// Human-readable parts for modes 1 and 2: each currency, amounts with each
/// multiplier, and a few invalid ones.
const HRPS: [&str; 12] = [
    "lnbc",
    "lntb20m",
    "lntbs2500u",
    "lnbcrt10n",
    "lnsb9678785340p",
    "lnbc1",
    "lnbc1p",
    "lnbc2500x",
    "lnbc025m",
    "lnxy",
    "lnbc184467440737095516150p",
    "lnbc184467440737095516160p",
];

/// Words of the signature at the end of the data part.
const SIGNATURE_WORDS: usize = 104;

/// 5-bit words packed into bytes, the last one zero-padded.
fn pack(words: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(words.len() * 5 / 8 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &w in words {
        acc = (acc << 5) | u32::from(w);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push((acc << (8 - bits)) as u8);
    }
    out
}

/// Bytes as 5-bit words, the last one zero-padded.
fn unpack(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(((acc >> bits) & 31) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(((acc << (5 - bits)) & 31) as u8);
    }
    out
}

fn bech32(hrp: &str, words: &[u8]) -> Option<String> {
    let hrp = Hrp::parse(hrp).ok()?;
    let fes: Option<Vec<Fe32>> = words.iter().map(|w| Fe32::try_from(*w).ok()).collect();
    Some(
        fes?.into_iter()
            .with_checksum::<Bech32>(&hrp)
            .chars()
            .collect(),
    )
}

fn check(text: &str) {
    let Ok(invoice) = text.parse::<Invoice>() else {
        return;
    };
    let encoded = invoice.to_string();
    assert_eq!(
        encoded,
        text.to_ascii_lowercase(),
        "decoded invoice does not write back as its input"
    );
    let again: Invoice = encoded.parse().expect("re-encoded invoice does not decode");
    assert_eq!(again, invoice, "re-encoded invoice decodes differently");

    let _ = (
        invoice.amount_msat(),
        invoice.expires_at(),
        invoice.is_expired(u64::MAX),
        invoice.min_final_cltv_expiry_delta(),
        invoice.payee(),
        invoice.route_hints().count(),
        invoice.fallbacks().count(),
        invoice.payment_metadata(),
        invoice.signing_preimage(),
        invoice.to_qr_string(),
        invoice.check_payable(&Features::rayo_init(), 0),
        invoice.unknown_required_features(&Features::empty()),
    );
    if let Some(network) = invoice.network() {
        for fallback in invoice.fallbacks() {
            let _ = fallback.address(network);
        }
    }

    let mut builder = InvoiceBuilder::new(invoice.currency(), invoice.timestamp());
    if let Some(amount) = invoice.amount_msat() {
        builder = builder.amount_msat(amount);
    }
    for field in invoice.tagged_fields() {
        builder = builder.field(field.clone());
    }
    match builder.build_with_signer(|_| invoice.signature()) {
        Ok(rebuilt) => {
            assert_eq!(
                rebuilt.tagged_fields(),
                invoice.tagged_fields(),
                "decoded fields rebuild into different fields"
            );
            assert_eq!(rebuilt.amount_msat(), invoice.amount_msat());
            if rebuilt.to_string() == encoded {
                assert_eq!(rebuilt, invoice, "same string, different invoice");
            }
        }
        Err(BuildError::Invalid(
            InvoiceError::SignatureMismatch | InvoiceError::SignatureNotRecoverable,
        )) => {}
        Err(e) => panic!("decoded fields do not rebuild: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                check(text);
            }
        }
        mode => {
            let Some((&pick, rest)) = rest.split_first() else {
                return;
            };
            let hrp = HRPS[usize::from(pick) % HRPS.len()];
            let mut words: Vec<u8> = rest.iter().map(|b| b & 31).collect();
            if mode == 2 {
                words.truncate(words.len().saturating_sub(SIGNATURE_WORDS));
                let mut preimage = hrp.as_bytes().to_vec();
                preimage.extend(pack(&words));
                let digest = sha256::Hash::hash(&preimage).to_byte_array();
                let key = SecretKey::from_slice(&[0x42; 32]).expect("valid key");
                let signature = Secp256k1::signing_only()
                    .sign_ecdsa_recoverable(&Message::from_digest(digest), &key);
                let (id, compact) = signature.serialize_compact();
                let mut bytes = compact.to_vec();
                bytes.push(id.to_i32() as u8);
                words.extend(unpack(&bytes));
            }
            if let Some(text) = bech32(hrp, &words) {
                check(&text);
            }
        }
    }
});
