//! BOLT 7 gossip queries: round trips with and without their TLVs, fixed
//! bytes from the spec's layout, truncation, the TLV even/odd rule, the
//! encoding type byte (only uncompressed), per-channel array counts, and the
//! `reply_channel_range` set built for a query.

use proptest::collection::vec;
use proptest::prelude::*;
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::gossip::{
    GossipTimestampFilter, QueryChannelRange, QueryShortChannelIds, ReplyChannelRange,
    ReplyShortChannelIdsEnd, MAX_SCIDS_PER_REPLY, QUERY_FLAG_CHANNEL_ANNOUNCEMENT,
    QUERY_FLAG_CHANNEL_UPDATE_2, QUERY_OPTION_CHECKSUMS, QUERY_OPTION_TIMESTAMPS,
};
use rayo_wire::ids::ShortChannelId;
use rayo_wire::message::{Message, MAX_MESSAGE_LEN};
use rayo_wire::ser::DecodeError;
use rayo_wire::tlv::TlvWriter;

fn scid(block: u32, tx: u32, out: u16) -> ShortChannelId {
    ShortChannelId::new(block, tx, out).unwrap()
}

fn scids(n: u32) -> Vec<ShortChannelId> {
    (0..n).map(|i| scid(700_000 + i / 3, i % 3, 1)).collect()
}

fn query_ids(n: u32, flags: bool) -> Message {
    Message::QueryShortChannelIds(QueryShortChannelIds {
        chain_hash: ChainHash::BITCOIN,
        short_channel_ids: scids(n),
        query_flags: flags.then(|| (0..u64::from(n)).map(|i| i * 300 % 31).collect()),
    })
}

fn query_range(option: Option<u64>) -> Message {
    Message::QueryChannelRange(QueryChannelRange {
        chain_hash: ChainHash::TESTNET3,
        first_blocknum: 700_000,
        number_of_blocks: 2016,
        query_option: option,
    })
}

fn reply_range(n: u32, timestamps: bool, checksums: bool) -> Message {
    let pairs = |k: u32| {
        (0..n)
            .map(|i| (i.wrapping_mul(k), i + k))
            .collect::<Vec<_>>()
    };
    Message::ReplyChannelRange(ReplyChannelRange {
        chain_hash: ChainHash::SIGNET,
        first_blocknum: 700_000,
        number_of_blocks: 100,
        sync_complete: true,
        short_channel_ids: scids(n),
        timestamps: timestamps.then(|| pairs(1_700_000_000)),
        checksums: checksums.then(|| pairs(0xdead)),
    })
}

/// Every message without its TLVs and, where it has any, with them.
fn samples() -> Vec<(&'static str, Message, Option<Message>)> {
    vec![
        (
            "query_short_channel_ids",
            query_ids(5, false),
            Some(query_ids(5, true)),
        ),
        (
            "query_short_channel_ids (empty)",
            query_ids(0, false),
            Some(query_ids(0, true)),
        ),
        (
            "reply_short_channel_ids_end",
            Message::ReplyShortChannelIdsEnd(ReplyShortChannelIdsEnd {
                chain_hash: ChainHash::REGTEST,
                full_information: true,
            }),
            None,
        ),
        (
            "query_channel_range",
            query_range(None),
            Some(query_range(Some(
                QUERY_OPTION_TIMESTAMPS | QUERY_OPTION_CHECKSUMS,
            ))),
        ),
        (
            "reply_channel_range",
            reply_range(4, false, false),
            Some(reply_range(4, true, true)),
        ),
        (
            "reply_channel_range (timestamps only)",
            reply_range(4, false, false),
            Some(reply_range(4, true, false)),
        ),
        (
            "reply_channel_range (checksums only)",
            reply_range(4, false, false),
            Some(reply_range(4, false, true)),
        ),
        (
            "gossip_timestamp_filter",
            Message::GossipTimestampFilter(GossipTimestampFilter {
                chain_hash: ChainHash::BITCOIN,
                first_timestamp: 0xffff_ffff,
                timestamp_range: 0,
            }),
            None,
        ),
    ]
}

fn all_samples() -> Vec<(String, Message)> {
    samples()
        .into_iter()
        .flat_map(|(name, without, with)| {
            let mut v = vec![(name.to_owned(), without)];
            v.extend(with.map(|m| (format!("{name} with tlvs"), m)));
            v
        })
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    hex::decode(s).unwrap()
}

fn tlv(ty: u64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    TlvWriter::new(&mut out).record(ty, value);
    out
}

#[test]
fn every_message_round_trips_with_and_without_tlvs() {
    for (name, msg) in all_samples() {
        let bytes = msg.encode().unwrap();
        assert_eq!(Message::decode(&bytes).as_ref(), Ok(&msg), "{name}");
    }
}

#[test]
fn truncated_messages_are_errors_not_panics() {
    for (name, without, with) in samples() {
        let base = without.encode().unwrap();
        for len in 2..base.len() {
            assert_eq!(
                Message::decode(&base[..len]),
                Err(DecodeError::UnexpectedEof),
                "{name} cut at {len}"
            );
        }
        if let Some(with) = with {
            let full = with.encode().unwrap();
            assert_eq!(Message::decode(&full[..base.len()]), Ok(without));
            // A cut inside the extension is malformed, unless it falls
            // between two records: then it is the message with fewer.
            for len in base.len() + 1..full.len() {
                if let Ok(shorter) = Message::decode(&full[..len]) {
                    assert_eq!(
                        shorter.encode().unwrap(),
                        &full[..len],
                        "{name} with tlvs cut at {len}"
                    );
                    assert_ne!(shorter, with);
                }
            }
        }
    }
}

#[test]
fn unknown_even_tlvs_are_rejected_and_unknown_odd_ones_skipped() {
    for (name, msg) in all_samples() {
        let bytes = msg.encode().unwrap();
        let mut odd = bytes.clone();
        odd.extend_from_slice(&tlv(7, &[1, 2, 3]));
        assert_eq!(Message::decode(&odd).as_ref(), Ok(&msg), "{name}");
        let mut even = bytes;
        even.extend_from_slice(&tlv(8, &[]));
        assert_eq!(
            Message::decode(&even),
            Err(DecodeError::UnknownEvenTlv(8)),
            "{name}"
        );
    }
}

#[test]
fn query_short_channel_ids_matches_the_spec_layout() {
    let mut expected = hex("0105");
    expected.extend_from_slice(ChainHash::BITCOIN.as_bytes());
    expected.extend_from_slice(&hex("0011 00
         0aae60 000001 0002
         0aae61 000000 0000"));
    // query_flags: type 1, length 3, encoding 0, then one bigsize per id.
    expected.extend_from_slice(&hex("0103 00 01 04"));
    let msg = Message::QueryShortChannelIds(QueryShortChannelIds {
        chain_hash: ChainHash::BITCOIN,
        short_channel_ids: vec![scid(700_000, 1, 2), scid(700_001, 0, 0)],
        query_flags: Some(vec![
            QUERY_FLAG_CHANNEL_ANNOUNCEMENT,
            QUERY_FLAG_CHANNEL_UPDATE_2,
        ]),
    });
    assert_eq!(msg.encode().unwrap(), expected);
    assert_eq!(Message::decode(&expected), Ok(msg));
}

#[test]
fn channel_range_messages_match_the_spec_layout() {
    let mut query = hex("0107");
    query.extend_from_slice(ChainHash::TESTNET3.as_bytes());
    query.extend_from_slice(&hex("000aae60 000007e0 0101 03"));
    assert_eq!(
        Message::decode(&query),
        Ok(query_range(Some(3))),
        "query_channel_range"
    );

    let mut reply = hex("0108");
    reply.extend_from_slice(ChainHash::SIGNET.as_bytes());
    reply.extend_from_slice(&hex("000aae60 00000064 01
         0009 00 0aae60 000000 0001"));
    // timestamps: encoding 0 then (u32, u32); checksums: (u32, u32) only.
    reply.extend_from_slice(&hex("0109 00 00000000 6553f100"));
    reply.extend_from_slice(&hex("0308 00000000 0000dead"));
    assert_eq!(
        Message::decode(&reply),
        Ok(reply_range(1, true, true)),
        "reply_channel_range"
    );
    assert_eq!(reply_range(1, true, true).encode().unwrap(), reply);

    let mut end = hex("0106");
    end.extend_from_slice(ChainHash::REGTEST.as_bytes());
    end.push(0);
    assert_eq!(
        Message::decode(&end),
        Ok(Message::ReplyShortChannelIdsEnd(ReplyShortChannelIdsEnd {
            chain_hash: ChainHash::REGTEST,
            full_information: false,
        }))
    );

    let mut filter = hex("0109");
    filter.extend_from_slice(ChainHash::BITCOIN.as_bytes());
    filter.extend_from_slice(&hex("6553f100 00093a80"));
    assert_eq!(
        Message::decode(&filter),
        Ok(Message::GossipTimestampFilter(GossipTimestampFilter {
            chain_hash: ChainHash::BITCOIN,
            first_timestamp: 1_700_000_000,
            timestamp_range: 604_800,
        }))
    );
}

/// A `query_short_channel_ids` with `encoded` as its `encoded_short_ids`
/// and `tlvs` after it.
fn raw_query(encoded: &[u8], tlvs: &[u8]) -> Vec<u8> {
    let mut bytes = hex("0105");
    bytes.extend_from_slice(ChainHash::BITCOIN.as_bytes());
    bytes.extend_from_slice(&(encoded.len() as u16).to_be_bytes());
    bytes.extend_from_slice(encoded);
    bytes.extend_from_slice(tlvs);
    bytes
}

/// A `reply_channel_range` with `encoded` as its `encoded_short_ids`.
fn raw_reply(encoded: &[u8], tlvs: &[u8]) -> Vec<u8> {
    let mut bytes = hex("0108");
    bytes.extend_from_slice(ChainHash::BITCOIN.as_bytes());
    bytes.extend_from_slice(&hex("00000000 00000010 01"));
    bytes.extend_from_slice(&(encoded.len() as u16).to_be_bytes());
    bytes.extend_from_slice(encoded);
    bytes.extend_from_slice(tlvs);
    bytes
}

const ONE_ID: &str = "00 0aae60 000001 0002";

#[test]
fn only_the_uncompressed_encoding_is_accepted() {
    // 1 was zlib: BOLT 7 now says it MUST NOT be used. 2 is unknown.
    for encoding in [1u8, 2, 0xff] {
        let mut encoded = vec![encoding];
        encoded.extend_from_slice(&[0x78, 0x9c, 0x63, 0x00]);
        assert_eq!(
            Message::decode(&raw_query(&encoded, &[])),
            Err(DecodeError::UnsupportedEncoding(encoding))
        );
        assert_eq!(
            Message::decode(&raw_reply(&encoded, &[])),
            Err(DecodeError::UnsupportedEncoding(encoding))
        );
        // In the query flags and timestamps too.
        assert_eq!(
            Message::decode(&raw_query(&hex(ONE_ID), &tlv(1, &[encoding, 1]))),
            Err(DecodeError::UnsupportedEncoding(encoding))
        );
        assert_eq!(
            Message::decode(&raw_reply(&hex(ONE_ID), &tlv(1, &[encoding; 9]))),
            Err(DecodeError::UnsupportedEncoding(encoding))
        );
    }
}

#[test]
fn encoded_arrays_must_hold_whole_items() {
    // Nine bytes of ids: not a whole number of short channel ids.
    let encoded = hex("00 0aae60 000001 0002 ff");
    assert_eq!(
        Message::decode(&raw_query(&encoded, &[])),
        Err(DecodeError::UnexpectedEof)
    );
    assert_eq!(
        Message::decode(&raw_reply(&encoded, &[])),
        Err(DecodeError::UnexpectedEof)
    );
    // Timestamps and checksums: whole (u32, u32) pairs.
    assert_eq!(
        Message::decode(&raw_reply(&hex(ONE_ID), &tlv(1, &[0; 8]))),
        Err(DecodeError::TlvBadValue { ty: 1 })
    );
    assert_eq!(
        Message::decode(&raw_reply(&hex(ONE_ID), &tlv(3, &[0; 9]))),
        Err(DecodeError::TlvBadValue { ty: 3 })
    );
    // A query flag cut short, and one not minimally encoded.
    assert_eq!(
        Message::decode(&raw_query(&hex(ONE_ID), &tlv(1, &[0, 0xfd, 0x01]))),
        Err(DecodeError::TlvBadValue { ty: 1 })
    );
    assert_eq!(
        Message::decode(&raw_query(&hex(ONE_ID), &tlv(1, &[0, 0xfd, 0, 1]))),
        Err(DecodeError::NonCanonicalBigSize)
    );
}

#[test]
fn an_empty_array_field_reads_as_no_ids() {
    // Without even the encoding byte.
    let Ok(Message::QueryShortChannelIds(q)) = Message::decode(&raw_query(&[], &[])) else {
        panic!("empty query rejected");
    };
    assert!(q.short_channel_ids.is_empty());
    let Ok(Message::ReplyChannelRange(r)) = Message::decode(&raw_reply(&[], &tlv(1, &[]))) else {
        panic!("empty reply rejected");
    };
    assert_eq!(r.short_channel_ids, vec![]);
    assert_eq!(r.timestamps, Some(vec![]));
    // Written back with the encoding byte.
    let bytes = Message::ReplyChannelRange(r.clone()).encode().unwrap();
    assert_eq!(Message::decode(&bytes), Ok(Message::ReplyChannelRange(r)));
}

#[test]
fn per_channel_arrays_need_one_entry_per_channel() {
    let two_ids = hex("00 0aae60 000001 0002 0aae61 000001 0002");
    // One query flag for two ids.
    assert_eq!(
        Message::decode(&raw_query(&two_ids, &tlv(1, &[0, 1]))),
        Err(DecodeError::TlvBadValue { ty: 1 })
    );
    assert_eq!(
        Message::decode(&raw_reply(&two_ids, &tlv(1, &hex("00 0000000100000002")))),
        Err(DecodeError::TlvBadValue { ty: 1 })
    );
    assert_eq!(
        Message::decode(&raw_reply(&two_ids, &tlv(3, &hex("0000000100000002")))),
        Err(DecodeError::TlvBadValue { ty: 3 })
    );
    // Nor will we send such a message.
    let Message::QueryShortChannelIds(mut q) = query_ids(3, true) else {
        unreachable!()
    };
    q.query_flags.as_mut().unwrap().pop();
    assert!(Message::QueryShortChannelIds(q).encode().is_err());
    let Message::ReplyChannelRange(mut r) = reply_range(3, true, true) else {
        unreachable!()
    };
    r.checksums.as_mut().unwrap().push((1, 2));
    assert!(Message::ReplyChannelRange(r).encode().is_err());
}

#[test]
fn too_many_ids_cannot_be_encoded() {
    // The encoded ids, 1 + 8n bytes, must fit their u16 length: 8191 ids
    // do, 8192 do not.
    let payload = |n| {
        let Message::QueryShortChannelIds(q) = query_ids(n, false) else {
            unreachable!()
        };
        q.encode(&mut Vec::new())
    };
    assert!(payload(8191).is_ok());
    assert!(payload(8192).is_err());
    // And the message must fit 65535 bytes: 2 + 32 + 2 + 1 + 8n.
    assert!(query_ids(8187, false).encode().is_ok());
    assert!(query_ids(8188, false).encode().is_err());
    assert!(query_ids(8192, false).encode().is_err());
    // With one flag byte each, fewer fit.
    assert!(query_ids(8187, true).encode().is_err());
    assert!(query_ids(7000, true).encode().is_ok());
    assert!(reply_range(8192, false, false).encode().is_err());
    let full = reply_range(MAX_SCIDS_PER_REPLY as u32, false, false);
    assert!(full.encode().unwrap().len() <= MAX_MESSAGE_LEN);
    assert!(reply_range(MAX_SCIDS_PER_REPLY as u32 + 1, false, false)
        .encode()
        .is_err());
}

#[test]
fn the_undecoded_gossip_types_stay_known() {
    for ty in 256u16..=259 {
        let mut bytes = ty.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0xaa; 10]);
        assert_eq!(
            Message::decode(&bytes),
            Ok(Message::Gossip { msg_type: ty })
        );
    }
    // 260 is assigned to nothing: an unknown even type.
    assert_eq!(
        Message::decode(&[0x01, 0x04]),
        Err(DecodeError::UnknownEvenMessage(260))
    );
}

fn query(first_blocknum: u32, number_of_blocks: u32) -> QueryChannelRange {
    QueryChannelRange {
        chain_hash: ChainHash::REGTEST,
        first_blocknum,
        number_of_blocks,
        query_option: None,
    }
}

/// Checks what BOLT 7 and the peers' receivers ask of an answer, and returns
/// the ids it carries in order.
fn check_replies(q: &QueryChannelRange, replies: &[ReplyChannelRange]) -> Vec<ShortChannelId> {
    assert!(!replies.is_empty());
    assert_eq!(replies[0].first_blocknum, q.first_blocknum);
    assert_eq!(replies.last().unwrap().end_blocknum(), q.end_blocknum());
    let mut ids = Vec::new();
    for (i, reply) in replies.iter().enumerate() {
        assert_eq!(reply.chain_hash, q.chain_hash);
        assert_eq!(reply.sync_complete, i == replies.len() - 1, "reply {i}");
        // No reply overflows (CLN rejects one that does).
        assert!(reply
            .first_blocknum
            .checked_add(reply.number_of_blocks)
            .is_some());
        let bytes = Message::ReplyChannelRange(reply.clone()).encode().unwrap();
        assert!(bytes.len() <= MAX_MESSAGE_LEN);
        for id in &reply.short_channel_ids {
            assert!(
                (reply.first_blocknum..reply.end_blocknum()).contains(&id.block()),
                "{id} outside reply {i}"
            );
        }
        if let Some(previous) = i.checked_sub(1).map(|p| &replies[p]) {
            assert!(reply.first_blocknum >= previous.first_blocknum);
            let split_block = previous.end_blocknum() - 1;
            assert!(
                reply.first_blocknum == previous.end_blocknum()
                    || reply.first_blocknum == split_block,
                "reply {i} does not continue reply {}",
                i - 1
            );
        }
        ids.extend_from_slice(&reply.short_channel_ids);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids not ascending");
    ids
}

#[test]
fn no_channels_is_one_empty_complete_reply_for_the_whole_range() {
    let q = query(600_000, 1000);
    let replies = ReplyChannelRange::for_query(&q, &[]);
    assert_eq!(
        replies,
        vec![ReplyChannelRange {
            chain_hash: ChainHash::REGTEST,
            first_blocknum: 600_000,
            number_of_blocks: 1000,
            sync_complete: true,
            short_channel_ids: vec![],
            timestamps: None,
            checksums: None,
        }]
    );
    // Channels outside the range are not answered.
    let outside = [scid(599_999, 0, 0), scid(601_000, 0, 0)];
    assert_eq!(ReplyChannelRange::for_query(&q, &outside), replies);
}

#[test]
fn many_channels_are_split_into_contiguous_replies_at_block_boundaries() {
    let q = query(500_000, 20_000);
    // 30000 ids, up to 4 per block, with some outside the range.
    let mut ours: Vec<ShortChannelId> = (0..30_000u32)
        .map(|i| scid(500_000 + i / 4 + (i % 7) * 3, i % 4, (i % 5) as u16))
        .collect();
    ours.push(scid(499_999, 1, 1));
    ours.push(scid(520_000, 1, 1));
    ours.reverse(); // Not given sorted.
    let mut expected: Vec<ShortChannelId> = ours
        .iter()
        .copied()
        .filter(|s| (500_000..520_000).contains(&s.block()))
        .collect();
    expected.sort();
    expected.dedup();

    let replies = ReplyChannelRange::for_query(&q, &ours);
    assert!(replies.len() >= 3, "{} replies", replies.len());
    assert_eq!(check_replies(&q, &replies), expected);
    // Every block boundary split: the ranges do not even touch.
    for pair in replies.windows(2) {
        assert_eq!(pair[1].first_blocknum, pair[0].end_blocknum());
        assert!(
            pair[0].short_channel_ids.len() > MAX_SCIDS_PER_REPLY - 100,
            "a reply was not filled"
        );
    }
}

#[test]
fn exactly_one_full_reply_needs_no_split() {
    let q = query(0, 10_000);
    let ours: Vec<ShortChannelId> = (0..MAX_SCIDS_PER_REPLY as u32)
        .map(|i| scid(i / 2, i % 2, 0))
        .collect();
    let replies = ReplyChannelRange::for_query(&q, &ours);
    assert_eq!(replies.len(), 1);
    assert_eq!(check_replies(&q, &replies), ours);
    let bytes = Message::ReplyChannelRange(replies[0].clone())
        .encode()
        .unwrap();
    assert_eq!(bytes.len(), MAX_MESSAGE_LEN - 1);
}

#[test]
fn a_block_too_full_for_one_reply_is_split_across_replies() {
    let q = query(100, 10);
    let mut ours: Vec<ShortChannelId> = (0..(MAX_SCIDS_PER_REPLY as u32 * 2 + 10))
        .map(|i| scid(105, i / 4, (i % 4) as u16))
        .collect();
    ours.push(scid(100, 0, 0));
    ours.push(scid(109, 0, 0));
    ours.sort();
    let replies = ReplyChannelRange::for_query(&q, &ours);
    assert_eq!(check_replies(&q, &replies), ours);
    // [100, 105) holds one id; block 105 fills two replies and a part.
    assert_eq!(
        replies
            .iter()
            .map(|r| (r.first_blocknum, r.number_of_blocks))
            .collect::<Vec<_>>(),
        vec![(100, 5), (105, 1), (105, 1), (105, 5)]
    );
}

#[test]
fn a_range_past_u32_max_is_answered_up_to_u32_max() {
    let q = query(u32::MAX - 10, 100);
    assert_eq!(q.end_blocknum(), u32::MAX);
    let replies = ReplyChannelRange::for_query(&q, &[scid(5, 0, 0)]);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].first_blocknum, u32::MAX - 10);
    assert_eq!(replies[0].number_of_blocks, 10);
    assert!(replies[0].short_channel_ids.is_empty());
    check_replies(&q, &replies);

    // "Everything from block 700000": a common way to ask.
    let q = query(700_000, u32::MAX);
    let ours = [scid(700_000, 0, 0), scid(0xff_ffff, 1, 1), scid(1, 0, 0)];
    let replies = ReplyChannelRange::for_query(&q, &ours);
    assert_eq!(
        check_replies(&q, &replies),
        vec![scid(700_000, 0, 0), scid(0xff_ffff, 1, 1)]
    );
    assert_eq!(replies[0].number_of_blocks, u32::MAX - 700_000);
}

fn arb_message() -> impl Strategy<Value = Message> {
    let chain = prop_oneof![
        Just(ChainHash::BITCOIN),
        Just(ChainHash::TESTNET3),
        Just(ChainHash::REGTEST),
        any::<[u8; 32]>().prop_map(ChainHash::from),
    ];
    let ids = vec(any::<u64>().prop_map(ShortChannelId), 0..50);
    prop_oneof![
        (chain.clone(), ids.clone(), any::<bool>(), any::<u64>()).prop_map(
            |(chain_hash, short_channel_ids, flags, seed)| {
                let query_flags = flags.then(|| {
                    (0..short_channel_ids.len() as u64)
                        .map(|i| seed.rotate_left(i as u32) >> (i % 64))
                        .collect()
                });
                Message::QueryShortChannelIds(QueryShortChannelIds {
                    chain_hash,
                    short_channel_ids,
                    query_flags,
                })
            }
        ),
        (chain.clone(), any::<bool>()).prop_map(|(chain_hash, full_information)| {
            Message::ReplyShortChannelIdsEnd(ReplyShortChannelIdsEnd {
                chain_hash,
                full_information,
            })
        }),
        (
            chain.clone(),
            any::<(u32, u32)>(),
            proptest::option::of(any::<u64>())
        )
            .prop_map(
                |(chain_hash, (first_blocknum, number_of_blocks), query_option)| {
                    Message::QueryChannelRange(QueryChannelRange {
                        chain_hash,
                        first_blocknum,
                        number_of_blocks,
                        query_option,
                    })
                }
            ),
        (
            chain.clone(),
            any::<(u32, u32, bool)>(),
            ids,
            any::<(bool, bool, u32)>()
        )
            .prop_map(
                |(
                    chain_hash,
                    (first_blocknum, number_of_blocks, sync_complete),
                    ids,
                    (t, c, k),
                )| {
                    let pairs = |on: bool| {
                        on.then(|| {
                            (0..ids.len() as u32)
                                .map(|i| (k ^ i, k.wrapping_mul(i)))
                                .collect()
                        })
                    };
                    Message::ReplyChannelRange(ReplyChannelRange {
                        chain_hash,
                        first_blocknum,
                        number_of_blocks,
                        sync_complete,
                        timestamps: pairs(t),
                        checksums: pairs(c),
                        short_channel_ids: ids,
                    })
                }
            ),
        (chain, any::<(u32, u32)>()).prop_map(
            |(chain_hash, (first_timestamp, timestamp_range))| {
                Message::GossipTimestampFilter(GossipTimestampFilter {
                    chain_hash,
                    first_timestamp,
                    timestamp_range,
                })
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_gossip_queries_round_trip(msg in arb_message()) {
        let bytes = msg.encode().unwrap();
        prop_assert_eq!(Message::decode(&bytes).unwrap(), msg);
    }

    #[test]
    fn corrupted_gossip_queries_never_panic(
        msg in arb_message(),
        cut in any::<prop::sample::Index>(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
    ) {
        let mut bytes = msg.encode().unwrap();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            if i >= 2 {
                bytes[i] = b;
            }
        }
        let len = cut.index(bytes.len() + 1).max(2);
        if let Ok(decoded) = Message::decode(&bytes[..len]) {
            // Whatever decodes re-encodes to itself (the fuzz property).
            let again = Message::decode(&decoded.encode().unwrap()).unwrap();
            prop_assert_eq!(again, decoded);
        }
    }

    #[test]
    fn any_reply_set_answers_its_query(
        first in prop_oneof![0u32..1000, (u32::MAX - 1000)..=u32::MAX],
        number in prop_oneof![1u32..2000, Just(u32::MAX)],
        per_block in 1u32..12,
        blocks in vec(0u32..1200, 0..3000),
    ) {
        let q = query(first, number);
        let ours: Vec<ShortChannelId> = blocks
            .iter()
            .enumerate()
            .map(|(i, b)| scid(*b, (i as u32) % per_block, 0))
            .collect();
        let replies = ReplyChannelRange::for_query(&q, &ours);
        let mut expected: Vec<ShortChannelId> = ours
            .into_iter()
            .filter(|s| (q.first_blocknum..q.end_blocknum()).contains(&s.block()))
            .collect();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(check_replies(&q, &replies), expected);
    }
}
