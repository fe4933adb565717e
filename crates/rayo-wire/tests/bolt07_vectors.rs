//! BOLT 7's `extended-queries.json` vectors (copied from the spec, CC-BY
//! 4.0): every message with uncompressed arrays decodes to the fields the
//! vector lists and re-encodes byte for byte; every one using zlib (which
//! the spec now forbids) is refused with `UnsupportedEncoding(1)`.

use rayo_wire::ids::ShortChannelId;
use rayo_wire::message::Message;
use rayo_wire::ser::DecodeError;

fn bytes(h: &str) -> Vec<u8> {
    hex::decode(h).unwrap()
}

/// Decodes a vector, checks it re-encodes exactly, returns the message.
fn roundtrip(h: &str) -> Message {
    let msg = Message::decode(&bytes(h)).unwrap();
    assert_eq!(hex::encode(msg.encode().unwrap()), h);
    msg
}

fn refused_as_zlib(h: &str) {
    assert_eq!(
        Message::decode(&bytes(h)),
        Err(DecodeError::UnsupportedEncoding(1))
    );
}

#[test]
fn vector_1_querychannelrange() {
    let Message::QueryChannelRange(m) = roundtrip(
        "01070f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206000186a0000005dc",
    ) else {
        panic!("not a QueryChannelRange")
    };
    assert_eq!((m.first_blocknum, m.number_of_blocks), (100000, 1500));
    assert_eq!(m.query_option, None);
}

#[test]
fn vector_2_querychannelrange() {
    let Message::QueryChannelRange(m) = roundtrip("01070f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206000088b800000064010103") else {
        panic!("not a QueryChannelRange")
    };
    assert_eq!((m.first_blocknum, m.number_of_blocks), (35000, 100));
    assert_eq!(m.query_option, Some(3));
}

#[test]
fn vector_3_replychannelrange() {
    let Message::ReplyChannelRange(m) = roundtrip("01080f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206000b8a06000005dc01001900000000000000008e0000000000003c69000000000045a6c4") else {
        panic!("not a ReplyChannelRange")
    };
    assert_eq!((m.first_blocknum, m.number_of_blocks), (756230, 1500));
    assert!(m.sync_complete);
    assert_eq!(
        m.short_channel_ids,
        vec![
            ShortChannelId::new(0, 0, 142).unwrap(),
            ShortChannelId::new(0, 0, 15465).unwrap(),
            ShortChannelId::new(0, 69, 42692).unwrap()
        ]
    );
}

#[test]
fn vector_4_replychannelrange_zlib_is_refused() {
    refused_as_zlib("01080f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206000006400000006e01001601789c636000833e08659309a65878be010010a9023a");
}

#[test]
fn vector_5_replychannelrange() {
    let Message::ReplyChannelRange(m) = roundtrip("01080f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e22060001ddde000005dc01001900000000000000304300000000000778d6000000000046e1c1011900000282c1000e77c5000778ad00490ab00000b57800955bff031800000457000008ae00000d050000115c000015b300001a0a") else {
        panic!("not a ReplyChannelRange")
    };
    assert_eq!((m.first_blocknum, m.number_of_blocks), (122334, 1500));
    assert!(m.sync_complete);
    assert_eq!(
        m.short_channel_ids,
        vec![
            ShortChannelId::new(0, 0, 12355).unwrap(),
            ShortChannelId::new(0, 7, 30934).unwrap(),
            ShortChannelId::new(0, 70, 57793).unwrap()
        ]
    );
    assert_eq!(
        m.timestamps,
        Some(vec![(164545, 948165), (489645, 4786864), (46456, 9788415)])
    );
    assert_eq!(
        m.checksums,
        Some(vec![(1111, 2222), (3333, 4444), (5555, 6666)])
    );
}

#[test]
fn vector_6_replychannelrange_zlib_is_refused() {
    refused_as_zlib("01080f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e22060001ddde000005dc01001801789c63600001036730c55e710d4cbb3d3c080017c303b1012201789c63606a3ac8c0577e9481bd622d8327d7060686ad150c53a3ff0300554707db031800000457000008ae00000d050000115c000015b300001a0a");
}

#[test]
fn vector_7_queryshortchannelids() {
    let Message::QueryShortChannelIds(m) = roundtrip("01050f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206001900000000000000008e0000000000003c69000000000045a6c4") else {
        panic!("not a QueryShortChannelIds")
    };
    assert_eq!(
        m.short_channel_ids,
        vec![
            ShortChannelId::new(0, 0, 142).unwrap(),
            ShortChannelId::new(0, 0, 15465).unwrap(),
            ShortChannelId::new(0, 69, 42692).unwrap()
        ]
    );
    assert_eq!(m.query_flags, None);
}

#[test]
fn vector_8_queryshortchannelids_zlib_is_refused() {
    refused_as_zlib("01050f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206001801789c63600001c12b608a69e73e30edbaec0800203b040e");
}

#[test]
fn vector_9_queryshortchannelids_zlib_is_refused() {
    refused_as_zlib("01050f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e22060019000000000000002fc80000000000003cc4000000000045a6c4010c01789c6364620100000e0008");
}

#[test]
fn vector_10_queryshortchannelids_zlib_is_refused() {
    refused_as_zlib("01050f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206001801789c63600001f30a30c5b0cd144cb92e3b020017c6034a010c01789c6364620100000e0008");
}
