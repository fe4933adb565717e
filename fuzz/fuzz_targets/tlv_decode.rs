//! `TlvReader` over arbitrary bytes.
//!
//! Properties:
//! * the reader yields at most one error, and nothing after it;
//! * the records read before any error, written back with `TlvWriter`, are
//!   exactly the bytes they were read from (BigSize is canonical, lengths are
//!   exact), so a stream that decodes fully re-encodes to the input itself;
//! * `check_unknown_stream` accepts a stream exactly when it decodes fully and
//!   every type is odd;
//! * a record value that parses as `tu16`/`tu32`/`tu64` is minimally encoded:
//!   `encode_truncated` gives back the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rayo_wire::ser::encode_truncated;
use rayo_wire::tlv::{check_unknown_stream, TlvReader, TlvWriter};

fuzz_target!(|data: &[u8]| {
    let mut reader = TlvReader::new(data);
    let mut records = Vec::new();
    let mut failed = false;
    for item in reader.by_ref() {
        match item {
            Ok(record) => records.push(record),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(
        reader.next().is_none(),
        "TlvReader yielded an item after an error or after the end"
    );

    let mut out = Vec::with_capacity(data.len());
    let mut writer = TlvWriter::new(&mut out);
    for record in &records {
        writer.record(record.ty, record.value);
    }
    if failed {
        assert!(
            data.starts_with(&out),
            "records before the error do not re-encode to a prefix of the input"
        );
    } else {
        assert_eq!(
            out, data,
            "fully decoded stream does not re-encode byte for byte"
        );
    }

    let all_odd = records.iter().all(|r| r.ty % 2 == 1);
    assert_eq!(
        check_unknown_stream(data).is_ok(),
        !failed && all_odd,
        "check_unknown_stream disagrees with the reader"
    );

    for record in &records {
        if let Ok(v) = record.tu64() {
            assert_eq!(encode_truncated(v), record.value, "tu64 not canonical");
        }
        if let Ok(v) = record.tu32() {
            assert_eq!(
                encode_truncated(u64::from(v)),
                record.value,
                "tu32 not canonical"
            );
        }
        if let Ok(v) = record.tu16() {
            assert_eq!(
                encode_truncated(u64::from(v)),
                record.value,
                "tu16 not canonical"
            );
        }
    }
});
