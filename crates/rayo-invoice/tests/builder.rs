//! The builder (what `addinvoice` uses): builder -> string -> parse round
//! trips on every network, and the errors it reports instead of producing an
//! invalid invoice.

use std::str::FromStr;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::{Network, PubkeyHash, WitnessProgram, WitnessVersion};
use rayo_invoice::{
    rayo_features, BuildError, Currency, Description, Fallback, Invoice, InvoiceBuilder,
    InvoiceError, PaymentSecret, RouteHint, RouteHintHop, TaggedField, MAX_TIMESTAMP,
};
use rayo_wire::amount::Msat;
use rayo_wire::features::{Feature, Features};
use rayo_wire::ids::{NodeId, ShortChannelId};

const NOW: u64 = 1_700_000_000;

fn key() -> SecretKey {
    SecretKey::from_slice(&[0x42; 32]).unwrap()
}

fn node_of(key: &SecretKey) -> NodeId {
    NodeId(PublicKey::from_secret_key(&Secp256k1::new(), key))
}

fn preimage_hash() -> sha256::Hash {
    sha256::Hash::hash(&[0x5a; 32])
}

fn base(currency: Currency) -> InvoiceBuilder {
    InvoiceBuilder::new(currency, NOW)
        .payment_hash(preimage_hash())
        .payment_secret(PaymentSecret([0x33; 32]))
}

fn hop(n: u8) -> RouteHintHop {
    RouteHintHop {
        src_node_id: node_of(&SecretKey::from_slice(&[n; 32]).unwrap()),
        short_channel_id: ShortChannelId::new(700_000 + u32::from(n), 12, 1).unwrap(),
        fee_base_msat: 1000,
        fee_proportional_millionths: 100,
        cltv_expiry_delta: 144,
    }
}

fn round_trip(invoice: &Invoice) -> Invoice {
    let text = invoice.to_string();
    assert_eq!(text, text.to_ascii_lowercase());
    let parsed = Invoice::from_str(&text).unwrap();
    assert_eq!(&parsed, invoice);
    assert_eq!(parsed.to_string(), text);
    assert_eq!(Invoice::from_str(&invoice.to_qr_string()).unwrap(), parsed);
    parsed
}

#[test]
fn every_network_round_trips_with_its_prefix() {
    for (currency, prefix, network) in [
        (Currency::Bitcoin, "lnbc", Some(Network::Bitcoin)),
        (Currency::Testnet, "lntb", Some(Network::Testnet)),
        (Currency::Signet, "lntbs", Some(Network::Signet)),
        (Currency::Regtest, "lnbcrt", Some(Network::Regtest)),
        (Currency::Simnet, "lnsb", None),
    ] {
        let invoice = base(currency)
            .amount_msat(Msat(123_456_789))
            .description("round trip")
            .build_signed(&key())
            .unwrap();
        let parsed = round_trip(&invoice);
        assert!(parsed
            .to_string()
            .starts_with(&format!("{prefix}1234567890p1")));
        assert_eq!(parsed.currency(), currency);
        assert_eq!(parsed.network(), network);
        assert_eq!(parsed.amount_msat(), Some(Msat(123_456_789)));
        if let Some(network) = network {
            assert_eq!(Currency::from(network), currency);
        }
    }
    assert_eq!(Currency::from(Network::Testnet4), Currency::Testnet);
}

#[test]
fn a_full_addinvoice_round_trips() {
    let witness = WitnessProgram::new(WitnessVersion::V0, &[7; 32]).unwrap();
    let invoice = base(Currency::Regtest)
        .amount_msat(Msat(50_000_000))
        .description("a full invoice")
        .expiry(86_400)
        .min_final_cltv_expiry_delta(80)
        .fallback(Fallback::Witness(witness))
        .fallback(Fallback::PubkeyHash(PubkeyHash::from_byte_array([9; 20])))
        .route_hint(RouteHint(vec![hop(1), hop(2), hop(3)]))
        .route_hint(RouteHint(vec![hop(4)]))
        .features(rayo_features())
        .payment_metadata(vec![1, 2, 3])
        .payee_pubkey(node_of(&key()))
        .build_signed(&key())
        .unwrap();
    let parsed = round_trip(&invoice);
    assert_eq!(parsed.timestamp(), NOW);
    assert_eq!(parsed.payment_hash(), preimage_hash());
    assert_eq!(parsed.payment_secret(), PaymentSecret([0x33; 32]));
    assert_eq!(
        parsed.description(),
        &Description::Direct("a full invoice".into())
    );
    assert_eq!(parsed.expiry(), 86_400);
    assert_eq!(parsed.expires_at(), NOW + 86_400);
    assert_eq!(parsed.min_final_cltv_expiry_delta(), 80);
    assert_eq!(
        parsed.fallbacks().cloned().collect::<Vec<_>>(),
        vec![
            Fallback::Witness(witness),
            Fallback::PubkeyHash(PubkeyHash::from_byte_array([9; 20]))
        ]
    );
    assert_eq!(
        parsed.route_hints().cloned().collect::<Vec<_>>(),
        vec![
            RouteHint(vec![hop(1), hop(2), hop(3)]),
            RouteHint(vec![hop(4)])
        ]
    );
    assert_eq!(parsed.features(), &rayo_features());
    assert_eq!(parsed.payment_metadata(), Some(&[1u8, 2, 3][..]));
    assert_eq!(parsed.payee_field(), Some(node_of(&key())));
    assert_eq!(parsed.payee(), node_of(&key()));
}

#[test]
fn defaults_apply_without_optional_fields() {
    let invoice = base(Currency::Bitcoin)
        .description_hash(sha256::Hash::hash(b"a long description"))
        .build_signed(&key())
        .unwrap();
    let parsed = round_trip(&invoice);
    assert_eq!(parsed.amount_msat(), None);
    assert_eq!(parsed.expiry(), rayo_invoice::DEFAULT_EXPIRY_SECS);
    assert_eq!(
        parsed.min_final_cltv_expiry_delta(),
        rayo_invoice::DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA
    );
    assert!(parsed.features().is_empty());
    assert!(parsed.description_matches(b"a long description"));
    assert_eq!(parsed.payee_field(), None);
    assert_eq!(parsed.payee(), node_of(&key()));
    // No `9` field for empty features.
    assert!(!parsed
        .tagged_fields()
        .iter()
        .any(|f| matches!(f, TaggedField::Features(_))));
}

#[test]
fn expiry_is_judged_against_the_given_time() {
    let invoice = base(Currency::Bitcoin)
        .description("soon")
        .expiry(60)
        .build_signed(&key())
        .unwrap();
    assert!(!invoice.is_expired(NOW));
    assert!(!invoice.is_expired(NOW + 59));
    assert!(invoice.is_expired(NOW + 60));
    let known = Features::rayo_init();
    assert_eq!(invoice.check_payable(&known, NOW + 1), Ok(()));
    assert_eq!(
        invoice.check_payable(&known, NOW + 60),
        Err(InvoiceError::Expired)
    );
}

#[test]
fn rayo_features_are_payable_by_rayo() {
    let invoice = base(Currency::Regtest)
        .description("rayo")
        .features(rayo_features())
        .build_signed(&key())
        .unwrap();
    assert!(invoice.features().requires(Feature::VarOnionOptin));
    assert!(invoice.features().requires(Feature::PaymentSecret));
    assert_eq!(invoice.check_features(&Features::rayo_init()), Ok(()));
}

#[test]
fn feature_dependencies_are_checked() {
    let mut mpp_only = Features::empty();
    mpp_only.set_optional(Feature::BasicMpp);
    let invoice = base(Currency::Regtest)
        .description("mpp")
        .features(mpp_only.clone())
        .build_signed(&key())
        .unwrap();
    assert_eq!(
        invoice.check_features(&mpp_only),
        Err(InvoiceError::MissingFeatureDependency {
            feature: Feature::BasicMpp,
            missing: Feature::PaymentSecret
        })
    );
}

#[test]
fn building_is_deterministic_and_signer_agnostic() {
    let build = || {
        base(Currency::Signet)
            .amount_msat(Msat(1))
            .description("same")
    };
    let a = build().build_signed(&key()).unwrap();
    let b = build().build_signed(&key()).unwrap();
    assert_eq!(a.to_string(), b.to_string());
    let secp = Secp256k1::signing_only();
    let mut seen = None;
    let c = build()
        .build_with_signer(|message| {
            seen = Some(*message);
            secp.sign_ecdsa_recoverable(message, &key())
        })
        .unwrap();
    assert_eq!(c, a);
    assert_eq!(
        seen.unwrap().as_ref(),
        sha256::Hash::hash(&a.signing_preimage()).as_byte_array()
    );
}

#[test]
fn raw_fields_are_written_as_given() {
    let invoice = base(Currency::Bitcoin)
        .description("raw")
        .field(TaggedField::Raw {
            tag: 2,
            data: vec![1, 2, 3],
        })
        .build_signed(&key())
        .unwrap();
    let parsed = round_trip(&invoice);
    assert_eq!(
        parsed.tagged_fields().last(),
        Some(&TaggedField::Raw {
            tag: 2,
            data: vec![1, 2, 3]
        })
    );
    assert_eq!(
        base(Currency::Bitcoin)
            .description("raw")
            .field(TaggedField::Raw {
                tag: 32,
                data: vec![]
            })
            .build_signed(&key()),
        Err(BuildError::InvalidRawField)
    );
}

#[test]
fn extreme_amounts_round_trip() {
    for msat in [1, 10, 999, 100_000_000_000, u64::MAX] {
        let invoice = base(Currency::Bitcoin)
            .amount_msat(Msat(msat))
            .description("amount")
            .build_signed(&key())
            .unwrap();
        assert_eq!(round_trip(&invoice).amount_msat(), Some(Msat(msat)));
    }
}

#[test]
fn invalid_invoices_are_not_built() {
    let hash = preimage_hash();
    let secret = PaymentSecret([1; 32]);
    let cases: Vec<(InvoiceBuilder, BuildError)> = vec![
        (
            InvoiceBuilder::new(Currency::Bitcoin, NOW)
                .payment_secret(secret)
                .description("x"),
            BuildError::Invalid(InvoiceError::MissingPaymentHash),
        ),
        (
            InvoiceBuilder::new(Currency::Bitcoin, NOW)
                .payment_hash(hash)
                .description("x"),
            BuildError::Invalid(InvoiceError::MissingPaymentSecret),
        ),
        (
            base(Currency::Bitcoin),
            BuildError::Invalid(InvoiceError::MissingDescription),
        ),
        (
            base(Currency::Bitcoin)
                .description("x")
                .description_hash(hash),
            BuildError::Invalid(InvoiceError::DescriptionAndHash),
        ),
        (
            base(Currency::Bitcoin)
                .description("x")
                .amount_msat(Msat(0)),
            BuildError::ZeroAmount,
        ),
        (
            InvoiceBuilder::new(Currency::Bitcoin, MAX_TIMESTAMP + 1)
                .payment_hash(hash)
                .payment_secret(secret)
                .description("x"),
            BuildError::TimestampOutOfRange(MAX_TIMESTAMP + 1),
        ),
        (
            base(Currency::Bitcoin).description("x".repeat(640)),
            BuildError::FieldTooLong('d'),
        ),
        (
            base(Currency::Bitcoin)
                .description("x")
                .payment_metadata(vec![0; 640]),
            BuildError::FieldTooLong('m'),
        ),
        (
            base(Currency::Bitcoin)
                .description("x")
                .route_hint(RouteHint(vec![hop(1); 13])),
            BuildError::FieldTooLong('r'),
        ),
        (
            base(Currency::Bitcoin)
                .description("x")
                .route_hint(RouteHint(vec![])),
            BuildError::EmptyRouteHint,
        ),
        (
            // The payee named is not the signer.
            base(Currency::Bitcoin)
                .description("x")
                .payee_pubkey(node_of(&SecretKey::from_slice(&[9; 32]).unwrap())),
            BuildError::Invalid(InvoiceError::SignatureMismatch),
        ),
    ];
    for (builder, expected) in cases {
        assert_eq!(builder.build_signed(&key()), Err(expected));
    }
}

#[test]
fn oversized_invoices_are_not_built() {
    let mut builder = base(Currency::Bitcoin).description("x".repeat(639));
    for n in 0..8 {
        builder = builder.route_hint(RouteHint(vec![hop(n + 1); 12]));
    }
    assert!(matches!(
        builder.build_signed(&key()),
        Err(BuildError::TooLong(_))
    ));
}

#[test]
fn a_639_byte_description_fits() {
    let text = "é".repeat(319) + "x";
    assert_eq!(text.len(), 639);
    let invoice = base(Currency::Bitcoin)
        .description(text.clone())
        .build_signed(&key())
        .unwrap();
    assert_eq!(
        round_trip(&invoice).description(),
        &Description::Direct(text)
    );
}

#[test]
fn error_messages_are_for_people() {
    assert_eq!(
        BuildError::Invalid(InvoiceError::MissingPaymentSecret).to_string(),
        "invoice has no payment secret"
    );
    assert_eq!(
        InvoiceError::UnknownRequiredFeature(100).to_string(),
        "invoice requires feature bit 100, which this node does not support"
    );
    assert_eq!(InvoiceError::Expired.to_string(), "invoice has expired");
}
