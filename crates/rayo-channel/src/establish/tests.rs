//! Each BOLT 2 requirement on `open_channel` and `accept_channel`, violated
//! once, gives its own error; the valid messages pass.

use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::establish::ChannelPoints;
use rayo_wire::ids::ChannelId;
use rayo_wire::secp256k1::{Secp256k1, SecretKey};

use super::*;

fn points(seed: u8) -> ChannelPoints {
    let secp = Secp256k1::new();
    let p = |i: u8| {
        SecretKey::from_slice(&[seed.wrapping_add(i); 32])
            .unwrap()
            .public_key(&secp)
    };
    ChannelPoints {
        funding_pubkey: p(1),
        revocation_basepoint: p(2),
        payment_basepoint: p(3),
        delayed_payment_basepoint: p(4),
        htlc_basepoint: p(5),
        first_per_commitment_point: p(6),
    }
}

fn open() -> OpenChannel {
    OpenChannel {
        chain_hash: ChainHash::REGTEST,
        temporary_channel_id: ChannelId([7; 32]),
        funding_satoshis: Sat(1_000_000),
        push_msat: Msat(0),
        dust_limit_satoshis: Sat(354),
        max_htlc_value_in_flight_msat: Msat(1_000_000_000),
        channel_reserve_satoshis: Sat(10_000),
        htlc_minimum_msat: Msat(1),
        feerate_per_kw: 2_500,
        to_self_delay: 144,
        max_accepted_htlcs: 483,
        points: points(10),
        channel_flags: 0,
        upfront_shutdown_script: Some(Vec::new()),
        channel_type: Some(supported_channel_type()),
    }
}

fn accept() -> AcceptChannel {
    AcceptChannel {
        temporary_channel_id: ChannelId([7; 32]),
        dust_limit_satoshis: Sat(354),
        max_htlc_value_in_flight_msat: Msat(1_000_000_000),
        channel_reserve_satoshis: Sat(10_000),
        htlc_minimum_msat: Msat(1),
        minimum_depth: 3,
        to_self_delay: 144,
        max_accepted_htlcs: 483,
        points: points(50),
        upfront_shutdown_script: Some(Vec::new()),
        channel_type: Some(supported_channel_type()),
    }
}

fn policy() -> ChannelPolicy {
    ChannelPolicy::new(ChainHash::REGTEST)
}

fn check(modify: impl FnOnce(&mut OpenChannel)) -> Result<(), EstablishError> {
    let mut msg = open();
    modify(&mut msg);
    check_open_channel(&msg, &policy(), &Features::rayo_init())
}

#[test]
fn a_valid_open_and_accept_pass() {
    assert_eq!(check(|_| {}), Ok(()));
    assert_eq!(check_accept_channel(&accept(), &open(), &policy()), Ok(()));
}

#[test]
fn each_open_channel_requirement() {
    use EstablishError::*;
    assert_eq!(
        check(|m| m.chain_hash = ChainHash::BITCOIN),
        Err(UnknownChain)
    );
    assert!(matches!(
        check(|m| m.channel_type = None),
        Err(ChannelType(_))
    ));
    let mut anchors = Features::empty();
    anchors.set_required(Feature::Anchors);
    assert!(matches!(
        check(|m| m.channel_type = Some(anchors)),
        Err(ChannelType(_))
    ));
    assert!(matches!(
        check(|m| m.push_msat = Msat(1_000_000_001)),
        Err(PushTooLarge { .. })
    ));
    assert!(matches!(
        check(|m| m.funding_satoshis = Sat(1_000)),
        Err(FundingAmount(..))
    ));
    assert!(matches!(
        check(|m| {
            m.funding_satoshis = Sat(1 << 24);
            m.channel_reserve_satoshis = Sat(200_000);
        }),
        Err(LargeChannel(_))
    ));
    assert_eq!(
        check(|m| m.to_self_delay = 5000),
        Err(ToSelfDelay(5000, 2016))
    );
    assert_eq!(
        check(|m| m.max_accepted_htlcs = 484),
        Err(MaxAcceptedHtlcs(484))
    );
    assert!(matches!(
        check(|m| m.feerate_per_kw = 100),
        Err(Feerate(..))
    ));
    assert!(matches!(
        check(|m| m.feerate_per_kw = 10_000_000),
        Err(Feerate(..))
    ));
    assert!(matches!(
        check(|m| m.dust_limit_satoshis = Sat(353)),
        Err(DustLimit(..))
    ));
    assert!(matches!(
        check(|m| {
            m.dust_limit_satoshis = Sat(5_000);
            m.channel_reserve_satoshis = Sat(4_000);
        }),
        Err(ReserveBelowDust { .. })
    ));
    assert!(matches!(
        check(|m| m.channel_reserve_satoshis = Sat(900_000)),
        Err(ReserveTooLarge(..))
    ));
    assert!(matches!(
        check(|m| m.htlc_minimum_msat = Msat(500_000_000)),
        Err(HtlcMinimum(_))
    ));
    assert!(matches!(
        check(|m| m.max_htlc_value_in_flight_msat = Msat(1)),
        Err(MaxInFlight(_))
    ));
    // Everything pushed: the opener keeps nothing to pay the fee with.
    assert!(matches!(
        check(|m| m.push_msat = Msat(1_000_000_000)),
        Err(CannotPayFee { .. })
    ));
    // Small channel where neither side ends above the reserve.
    assert_eq!(
        check(|m| {
            m.funding_satoshis = Sat(25_000);
            m.channel_reserve_satoshis = Sat(5_000);
            m.push_msat = Msat(5_000_000);
            m.max_htlc_value_in_flight_msat = Msat(25_000_000);
            // Fee 18,100: the opener keeps 1,900, the acceptor gets 5,000.
            m.feerate_per_kw = 25_000;
        }),
        Err(BothBelowReserve)
    );
    // A large channel is fine when the peer supports it.
    let mut features = Features::rayo_init();
    features.set_optional(Feature::LargeChannel);
    let mut big = open();
    big.funding_satoshis = Sat(1 << 24);
    big.channel_reserve_satoshis = Sat(200_000);
    big.max_htlc_value_in_flight_msat = Msat(1 << 34);
    assert_eq!(check_open_channel(&big, &policy(), &features), Ok(()));
}

#[test]
fn each_accept_channel_requirement() {
    use EstablishError::*;
    let check = |modify: &dyn Fn(&mut AcceptChannel)| {
        let mut msg = accept();
        modify(&mut msg);
        check_accept_channel(&msg, &open(), &policy())
    };
    assert!(matches!(
        check(&|m| m.channel_type = None),
        Err(ChannelType(_))
    ));
    let mut other = supported_channel_type();
    other.set_optional(Feature::ScidAlias);
    assert_eq!(
        check(&|m| m.channel_type = Some(other.clone())),
        Err(ChannelTypeMismatch)
    );
    assert_eq!(
        check(&|m| m.minimum_depth = 1000),
        Err(MinimumDepth(1000, 144))
    );
    assert_eq!(
        check(&|m| m.to_self_delay = 3000),
        Err(ToSelfDelay(3000, 2016))
    );
    assert_eq!(
        check(&|m| m.max_accepted_htlcs = 500),
        Err(MaxAcceptedHtlcs(500))
    );
    assert!(matches!(
        check(&|m| m.dust_limit_satoshis = Sat(100)),
        Err(DustLimit(..))
    ));
    // Their reserve below our dust limit, and ours below theirs.
    assert!(matches!(
        check(&|m| m.channel_reserve_satoshis = Sat(300)),
        Err(ReserveBelowDust { .. })
    ));
    assert!(matches!(
        check(&|m| m.dust_limit_satoshis = Sat(15_000)),
        Err(ReserveBelowDust { .. })
    ));
    assert!(matches!(
        check(&|m| m.channel_reserve_satoshis = Sat(500_000)),
        Err(ReserveTooLarge(..))
    ));
    assert!(matches!(
        check(&|m| m.max_htlc_value_in_flight_msat = Msat(10)),
        Err(MaxInFlight(_))
    ));
}

#[test]
fn every_refusal_fails_the_channel_and_reserve_defaults_to_one_percent() {
    assert_eq!(
        EstablishError::UnknownChain.consequence(),
        Consequence::Fail
    );
    assert_eq!(policy().reserve_for(Sat(1_000_000), Sat(354)), Sat(10_000));
    assert_eq!(policy().reserve_for(Sat(20_000), Sat(546)), Sat(546));
    assert_eq!(initial_commitment_fee(2_500), Sat(1_810));
}
