//! Invoices assembled word by word (independently of the crate's encoder)
//! to reach every error the spec examples do not, plus mutation sweeps: no
//! corrupted or truncated invoice is accepted, and none makes decoding panic.

use std::str::FromStr;

use bitcoin::bech32::{Bech32, Fe32, Fe32IterExt, Hrp};
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{Message, PublicKey, Secp256k1, SecretKey};
use rayo_invoice::{Description, Invoice, InvoiceError, MAX_INVOICE_LENGTH};
use rayo_wire::ids::NodeId;

const TIMESTAMP: u64 = 1_496_314_658;

// Tags, as 5-bit values.
const P: u8 = 1;
const R: u8 = 3;
const NINE: u8 = 5;
const X: u8 = 6;
const F: u8 = 9;
const D: u8 = 13;
const S: u8 = 16;
const N: u8 = 19;
const H: u8 = 23;
const C: u8 = 24;

fn key() -> SecretKey {
    SecretKey::from_slice(&[0x42; 32]).unwrap()
}

fn other_key() -> SecretKey {
    SecretKey::from_slice(&[0x43; 32]).unwrap()
}

fn public(key: &SecretKey) -> PublicKey {
    PublicKey::from_secret_key(&Secp256k1::new(), key)
}

/// Regroups bits, zero-padding the last group.
fn regroup(input: &[u8], from: u32, to: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u64, 0u32);
    for &v in input {
        acc = (acc << from) | u64::from(v);
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & ((1 << to) - 1)) as u8);
        }
    }
    if bits > 0 {
        out.push(((acc << (to - bits)) & ((1 << to) - 1)) as u8);
    }
    out
}

fn words(bytes: &[u8]) -> Vec<u8> {
    regroup(bytes, 8, 5)
}

fn field(tag: u8, data: Vec<u8>) -> Vec<u8> {
    let len = data.len();
    let mut out = vec![tag, (len >> 5) as u8, (len & 31) as u8];
    out.extend(data);
    out
}

fn p_field() -> Vec<u8> {
    field(P, words(&[0x01; 32]))
}

fn s_field() -> Vec<u8> {
    field(S, words(&[0x11; 32]))
}

fn d_field(text: &str) -> Vec<u8> {
    field(D, words(text.as_bytes()))
}

fn required() -> Vec<Vec<u8>> {
    vec![p_field(), s_field(), d_field("test")]
}

fn timestamp_words() -> Vec<u8> {
    (0..7)
        .rev()
        .map(|i| ((TIMESTAMP >> (5 * i)) & 31) as u8)
        .collect()
}

/// bech32 with the standard checksum (fine below 1023 characters).
fn bech32(hrp: &str, data: &[u8]) -> String {
    let hrp = Hrp::parse(hrp).unwrap();
    data.iter()
        .map(|w| Fe32::try_from(*w).unwrap())
        .with_checksum::<Bech32>(&hrp)
        .chars()
        .collect()
}

fn signature_bytes(hrp: &str, signed: &[u8], key: &SecretKey) -> Vec<u8> {
    let mut preimage = hrp.as_bytes().to_vec();
    preimage.extend(regroup(signed, 5, 8));
    let digest = sha256::Hash::hash(&preimage).to_byte_array();
    let sig = Secp256k1::new().sign_ecdsa_recoverable(&Message::from_digest(digest), key);
    let (id, compact) = sig.serialize_compact();
    let mut bytes = compact.to_vec();
    bytes.push(id.to_i32() as u8);
    bytes
}

/// An invoice with `fields`, signed by `key`.
fn signed_by(hrp: &str, fields: &[Vec<u8>], key: &SecretKey) -> String {
    let mut data = timestamp_words();
    for f in fields {
        data.extend(f);
    }
    let sig = signature_bytes(hrp, &data, key);
    data.extend(words(&sig));
    bech32(hrp, &data)
}

fn signed(fields: &[Vec<u8>]) -> String {
    signed_by("lnbc", fields, &key())
}

fn parse(s: &str) -> Result<Invoice, InvoiceError> {
    Invoice::from_str(s)
}

#[test]
fn the_crafted_baseline_is_valid() {
    let invoice = parse(&signed(&required())).unwrap();
    assert_eq!(invoice.payee(), NodeId(public(&key())));
    assert_eq!(invoice.description(), &Description::Direct("test".into()));
    assert_eq!(invoice.timestamp(), TIMESTAMP);
}

#[test]
fn non_minimal_numbers_and_features_are_refused() {
    for (tag, letter) in [(X, 'x'), (C, 'c'), (NINE, '9')] {
        let mut fields = required();
        fields.push(field(tag, vec![0, 1, 2]));
        assert_eq!(
            parse(&signed(&fields)),
            Err(InvoiceError::NonMinimalField(letter))
        );
    }
}

#[test]
fn oversized_numbers_are_refused() {
    let mut fields = required();
    fields.push(field(X, vec![31; 13]));
    assert_eq!(
        parse(&signed(&fields)),
        Err(InvoiceError::FieldOverflow('x'))
    );
}

#[test]
fn empty_numbers_and_features_are_zero() {
    let mut fields = required();
    fields.push(field(X, vec![]));
    fields.push(field(C, vec![]));
    fields.push(field(NINE, vec![]));
    let invoice = parse(&signed(&fields)).unwrap();
    assert_eq!(invoice.expiry(), 0);
    assert_eq!(invoice.min_final_cltv_expiry_delta(), 0);
    assert!(invoice.features().is_empty());
    assert_eq!(invoice.to_string(), signed(&fields));
}

#[test]
fn truncated_fields_are_refused() {
    // A header claiming more data than precedes the signature.
    let mut fields = required();
    fields.push(vec![X, 0, 5, 1]);
    assert_eq!(parse(&signed(&fields)), Err(InvoiceError::TruncatedField));
    // A lone word where a header should be.
    let mut fields = required();
    fields.push(vec![X]);
    assert_eq!(parse(&signed(&fields)), Err(InvoiceError::TruncatedField));
}

#[test]
fn data_too_short_for_timestamp_and_signature_is_refused() {
    assert_eq!(
        parse(&bech32("lnbc", &[0; 110])),
        Err(InvoiceError::TooShort)
    );
    assert_eq!(parse(&bech32("lnbc", &[])), Err(InvoiceError::TooShort));
}

#[test]
fn required_fields_are_enforced() {
    assert_eq!(
        parse(&signed(&[s_field(), d_field("x")])),
        Err(InvoiceError::MissingPaymentHash)
    );
    assert_eq!(
        parse(&signed(&[p_field(), d_field("x")])),
        Err(InvoiceError::MissingPaymentSecret)
    );
    assert_eq!(
        parse(&signed(&[p_field(), s_field()])),
        Err(InvoiceError::MissingDescription)
    );
    assert_eq!(
        parse(&signed(&[
            p_field(),
            s_field(),
            d_field("x"),
            field(H, words(&[7; 32]))
        ])),
        Err(InvoiceError::DescriptionAndHash)
    );
    // An `h` of the wrong length is skipped, so it does not clash with `d`.
    assert!(parse(&signed(&[
        p_field(),
        s_field(),
        d_field("x"),
        field(H, vec![0; 51])
    ]))
    .is_ok());
}

#[test]
fn the_first_of_repeated_fields_counts() {
    let invoice = parse(&signed(&[
        field(P, words(&[0x0a; 32])),
        p_field(),
        s_field(),
        d_field("first"),
        d_field("second"),
        field(X, vec![1, 28]),
        field(X, vec![2]),
    ]))
    .unwrap();
    assert_eq!(
        invoice.payment_hash(),
        sha256::Hash::from_byte_array([0x0a; 32])
    );
    assert_eq!(invoice.description(), &Description::Direct("first".into()));
    assert_eq!(invoice.expiry(), 60);
}

#[test]
fn invalid_utf8_description_is_refused() {
    let fields = [p_field(), s_field(), field(D, words(&[0xff, 0xfe]))];
    assert_eq!(
        parse(&signed(&fields)),
        Err(InvoiceError::InvalidDescription)
    );
}

#[test]
fn payee_field_is_verified_not_recovered() {
    let mut fields = required();
    fields.push(field(N, words(&public(&key()).serialize())));
    let invoice = parse(&signed(&fields)).unwrap();
    assert_eq!(invoice.payee_field(), Some(NodeId(public(&key()))));
    assert_eq!(invoice.payee(), NodeId(public(&key())));

    // Signed by another key than the one named.
    assert_eq!(
        parse(&signed_by("lnbc", &fields, &other_key())),
        Err(InvoiceError::SignatureMismatch)
    );

    let mut fields = required();
    fields.push(field(N, words(&[0x05; 33])));
    assert_eq!(parse(&signed(&fields)), Err(InvoiceError::InvalidPayeeKey));
}

#[test]
fn bad_signatures_are_refused() {
    let mut data = timestamp_words();
    for f in required() {
        data.extend(f);
    }
    let mut sig = signature_bytes("lnbc", &data, &key());

    sig[64] = 4;
    let mut with_bad_id = data.clone();
    with_bad_id.extend(words(&sig));
    assert_eq!(
        parse(&bech32("lnbc", &with_bad_id)),
        Err(InvoiceError::InvalidRecoveryId(4))
    );

    // r = s = 2^256 - 1 is not a scalar.
    let mut with_bad_rs = data.clone();
    with_bad_rs.extend(words(&[[0xff; 64].as_slice(), &[0]].concat()));
    assert_eq!(
        parse(&bech32("lnbc", &with_bad_rs)),
        Err(InvoiceError::InvalidSignature)
    );
}

#[test]
fn bad_fallbacks_and_route_hints_are_refused() {
    for fallback in [
        vec![],                               // no version
        [vec![17], words(&[1; 19])].concat(), // short P2PKH
        [vec![18], words(&[1; 21])].concat(), // long P2SH
        [vec![0], words(&[1; 25])].concat(),  // v0 must be 20 or 32 bytes
        [vec![1], words(&[1; 41])].concat(),  // witness programs are at most 40 bytes
    ] {
        let mut fields = required();
        fields.push(field(F, fallback));
        assert_eq!(parse(&signed(&fields)), Err(InvoiceError::InvalidFallback));
    }
    // Unknown versions are skipped.
    let mut fields = required();
    fields.push(field(F, [vec![19], words(&[1; 20])].concat()));
    assert_eq!(parse(&signed(&fields)).unwrap().fallbacks().count(), 0);

    let hop = [
        public(&key()).serialize().as_slice(),
        &[0; 8],
        &[0; 4],
        &[0; 4],
        &[0; 2],
    ]
    .concat();
    for hint in [
        vec![],
        hop[..50].to_vec(),
        [hop.as_slice(), &hop[..10]].concat(),
        [&[0x05; 33][..], &hop[33..]].concat(),
    ] {
        let mut fields = required();
        fields.push(field(R, words(&hint)));
        assert_eq!(parse(&signed(&fields)), Err(InvoiceError::InvalidRouteHint));
    }
    let mut fields = required();
    fields.push(field(R, words(&[hop.as_slice(), &hop].concat())));
    let invoice = parse(&signed(&fields)).unwrap();
    assert_eq!(invoice.route_hints().next().unwrap().0.len(), 2);
}

#[test]
fn prefixes_are_checked() {
    assert!(matches!(
        parse(&signed_by("lnxy", &required(), &key())),
        Err(InvoiceError::UnknownCurrency(p)) if p == "lnxy"
    ));
    assert!(matches!(
        parse(&signed_by("bc", &required(), &key())),
        Err(InvoiceError::UnknownCurrency(_))
    ));
    assert_eq!(
        parse(&signed_by("lnbc0", &required(), &key())),
        Err(InvoiceError::InvalidAmount)
    );
    for (hrp, currency) in [
        ("lnsb1m", rayo_invoice::Currency::Simnet),
        ("lnbcrt1m", rayo_invoice::Currency::Regtest),
        ("lntbs1m", rayo_invoice::Currency::Signet),
        ("lntb1m", rayo_invoice::Currency::Testnet),
    ] {
        let invoice = parse(&signed_by(hrp, &required(), &key())).unwrap();
        assert_eq!(invoice.currency(), currency);
        assert_eq!(
            invoice.amount_msat(),
            Some(rayo_wire::amount::Msat(100_000_000))
        );
    }
}

#[test]
fn encoding_errors_are_typed() {
    let good = signed(&required());
    assert_eq!(
        parse(&"q".repeat(MAX_INVOICE_LENGTH + 1)),
        Err(InvoiceError::TooLong {
            len: MAX_INVOICE_LENGTH + 1,
            max: MAX_INVOICE_LENGTH
        })
    );
    let with_b = good.replacen('q', "b", 1);
    assert_eq!(parse(&with_b), Err(InvoiceError::InvalidChar('b')));
    assert_eq!(parse("lnbc1"), Err(InvoiceError::TooShort));
    assert_eq!(parse(""), Err(InvoiceError::MissingSeparator));
    assert_eq!(parse("1qqqqqqqq"), Err(InvoiceError::InvalidPrefix));
}

#[test]
fn no_single_character_change_is_accepted() {
    let good = signed(&required());
    let alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let sep = good.rfind('1').unwrap();
    for i in 0..good.len() {
        let original = good.as_bytes()[i] as char;
        let replacements: Vec<char> = if i > sep {
            alphabet.chars().filter(|c| *c != original).collect()
        } else {
            vec!['x', '0', 'L', '!']
        };
        for c in replacements {
            let mut changed = good.clone().into_bytes();
            changed[i] = c as u8;
            let changed = String::from_utf8(changed).unwrap();
            assert!(parse(&changed).is_err(), "accepted {changed}");
        }
    }
}

#[test]
fn no_truncation_or_extension_is_accepted() {
    let good = signed(&required());
    for len in 0..good.len() {
        assert!(parse(&good[..len]).is_err(), "accepted {}", &good[..len]);
    }
    assert!(parse(&format!("{good}q")).is_err());
}

#[test]
fn flipping_the_case_of_one_letter_is_mixed_case() {
    let good = signed(&required());
    let upper = good.to_ascii_uppercase();
    assert!(parse(&upper).is_ok());
    for i in (0..good.len()).filter(|i| good.as_bytes()[*i].is_ascii_alphabetic()) {
        let mut changed = good.clone().into_bytes();
        changed[i] = changed[i].to_ascii_uppercase();
        let changed = String::from_utf8(changed).unwrap();
        assert_eq!(parse(&changed).map(|_| ()), Err(InvoiceError::MixedCase));
    }
}
