//! `Message::decode` on arbitrary bytes.
//!
//! Property: whatever decodes re-encodes, and the re-encoding decodes to the
//! same value. Bytes are not compared, because decoding normalizes (feature
//! vectors lose leading zero bytes, `globalfeatures` is merged into
//! `features`, unknown odd TLVs are dropped, an unknown odd message keeps only
//! its type), so the check is `decode(encode(decode(x))) == decode(x)`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rayo_wire::features::Features;
use rayo_wire::message::{Message, MAX_MESSAGE_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(decoded) = Message::decode(data) else {
        return;
    };

    // The type field is the first two bytes, whatever the variant.
    assert_eq!(
        decoded.msg_type(),
        u16::from_be_bytes([data[0], data[1]]),
        "decoded message reports a type other than its type field"
    );

    let encoded = match decoded.encode() {
        Ok(encoded) => encoded,
        // `decode` does not bound the input length (the transport does), so
        // an oversized input may decode into something that cannot be sent.
        // Anything the transport can deliver must re-encode.
        Err(e) => {
            assert!(
                data.len() > MAX_MESSAGE_LEN,
                "{decoded:?} decoded from {} bytes but does not re-encode: {e}",
                data.len()
            );
            return;
        }
    };
    assert!(encoded.len() <= MAX_MESSAGE_LEN);

    let again = Message::decode(&encoded).unwrap_or_else(|e| {
        panic!("re-encoding of {decoded:?} does not decode: {e}; bytes {encoded:02x?}")
    });
    assert_eq!(again, decoded, "decode(encode(m)) != m");

    // Exercise the accessors a node calls on a received message: none may
    // panic on anything that decodes.
    match &decoded {
        Message::Init(init) => {
            let _ = init.features.check_peer(&Features::rayo_init());
            let _ = format!("{:?}", init.features);
        }
        Message::Error(e) => {
            let _ = e.printable_data();
        }
        Message::Warning(w) => {
            let _ = w.printable_data();
        }
        Message::Ping(ping) => {
            if let Some(pong) = ping.response() {
                assert_eq!(pong.ignored.len(), usize::from(ping.num_pong_bytes));
            }
        }
        _ => {}
    }
});
