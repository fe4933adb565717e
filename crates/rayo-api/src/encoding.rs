//! The proto3 JSON encodings that lnd's REST gateway (grpc-gateway) uses, as
//! serde helpers for `#[serde(with = "...")]`.
//!
//! - 64-bit integers (`int64`, `uint64`) are JSON strings: [`int64_string`],
//!   and lists of them arrays of strings: [`int64_string_vec`].
//! - 32-bit integers are JSON numbers: [`int32_number`].
//! - `bytes` are standard base64 with padding: [`bytes_base64`], and
//!   `map<uint64, bytes>` an object of decimal keys: [`bytes_base64_map`].
//!
//! Every decoder is lenient the way lnd's is: an integer is accepted as a
//! number or as a decimal string whatever its width, base64 may be the URL-safe
//! alphabet and unpadded, and `null` stands for the field's default value.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// The integer types a proto3 JSON integer field can have.
pub trait ProtoInt:
    Copy + Default + FromStr + TryFrom<i64> + TryFrom<u64> + fmt::Display + private::Sealed
{
    /// The proto type name, for error messages.
    const PROTO: &'static str;
}

mod private {
    pub trait Sealed {}
    impl Sealed for i32 {}
    impl Sealed for u32 {}
    impl Sealed for i64 {}
    impl Sealed for u64 {}
}

impl ProtoInt for i32 {
    const PROTO: &'static str = "int32";
}
impl ProtoInt for u32 {
    const PROTO: &'static str = "uint32";
}
impl ProtoInt for i64 {
    const PROTO: &'static str = "int64";
}
impl ProtoInt for u64 {
    const PROTO: &'static str = "uint64";
}

/// Accepts a JSON number, a decimal string or `null` (the default, zero).
struct IntVisitor<T>(PhantomData<T>);

impl<T: ProtoInt> IntVisitor<T> {
    fn out_of_range<E: de::Error>(value: impl fmt::Display) -> E {
        E::custom(format_args!("{value} is out of range for {}", T::PROTO))
    }
}

impl<'de, T: ProtoInt> Visitor<'de> for IntVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an {} as a JSON number or a decimal string", T::PROTO)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| Self::out_of_range(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| Self::out_of_range(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // proto3 JSON allows an integral value written as a float (1e3, 5.0).
        if !v.is_finite() || v.fract() != 0.0 {
            return Err(E::custom(format_args!("{v} is not an integer")));
        }
        if v < 0.0 {
            if v < i64::MIN as f64 {
                return Err(Self::out_of_range(v));
            }
            self.visit_i64(v as i64)
        } else {
            // 2^64: `u64::MAX as f64` rounds up to it.
            if v >= 18_446_744_073_709_551_616.0 {
                return Err(Self::out_of_range(v));
            }
            self.visit_u64(v as u64)
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        if let Ok(n) = v.parse::<T>() {
            return Ok(n);
        }
        // "1e3", "5.0" and values out of range end up here.
        match v.parse::<f64>() {
            Ok(f) if !v.is_empty() => self.visit_f64(f),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

fn deserialize_int<'de, T: ProtoInt, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(IntVisitor(PhantomData))
}

/// `int64` / `uint64` fields: written as a JSON string (`"21000"`), read from a
/// string or a plain number (lnd accepts both).
pub mod int64_string {
    use super::ProtoInt;
    use serde::{Deserializer, Serializer};

    /// Writes the integer as a decimal JSON string.
    pub fn serialize<T: ProtoInt, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    /// Reads the integer from a JSON string, a JSON number or `null` (zero).
    pub fn deserialize<'de, T: ProtoInt, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        super::deserialize_int(d)
    }
}

/// `repeated int64` / `repeated uint64` fields: written as an array of JSON
/// strings (`["1", "2"]`), read from an array of strings or numbers; `null` is
/// the empty list.
pub mod int64_string_vec {
    use std::fmt;
    use std::marker::PhantomData;

    use super::{IntVisitor, ProtoInt};
    use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
    use serde::ser::{SerializeSeq, Serializer};

    /// Writes the integers as an array of decimal JSON strings.
    pub fn serialize<T: ProtoInt, S: Serializer>(values: &[T], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(values.len()))?;
        for value in values {
            seq.serialize_element(&value.to_string())?;
        }
        seq.end()
    }

    /// Reads an array of integers, each a JSON string or number, or `null`
    /// (the empty list).
    pub fn deserialize<'de, T: ProtoInt, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_any(VecVisitor(PhantomData))
    }

    struct Element<T>(PhantomData<T>);

    impl<'de, T: ProtoInt> DeserializeSeed<'de> for Element<T> {
        type Value = T;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
            d.deserialize_any(IntVisitor(PhantomData))
        }
    }

    struct VecVisitor<T>(PhantomData<T>);

    impl<'de, T: ProtoInt> Visitor<'de> for VecVisitor<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "an array of {} values", T::PROTO)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(value) = seq.next_element_seed(Element(PhantomData))? {
                out.push(value);
            }
            Ok(out)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
            d.deserialize_any(self)
        }
    }
}

/// `int32` / `uint32` fields: written as a JSON number, read from a number or a
/// decimal string (proto3 JSON allows both; query strings only have strings).
pub mod int32_number {
    use super::ProtoInt;
    use serde::{Deserializer, Serialize, Serializer};

    /// Writes the integer as a JSON number.
    pub fn serialize<T: ProtoInt + Serialize, S: Serializer>(
        value: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(s)
    }

    /// Reads the integer from a JSON number, a decimal string or `null` (zero).
    pub fn deserialize<'de, T: ProtoInt, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        super::deserialize_int(d)
    }
}

/// `bytes` fields: written as standard base64 with padding, read from standard
/// or URL-safe base64, padded or not (as grpc-gateway does).
pub mod bytes_base64 {
    use base64::alphabet;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    use serde::de::{self, Deserializer, Visitor};
    use serde::Serializer;
    use std::fmt;

    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

    /// Writes the bytes as standard, padded base64.
    pub fn serialize<S: Serializer>(value: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(value))
    }

    /// Reads bytes from base64 (standard or URL-safe, padding optional) or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_any(BytesVisitor)
    }

    /// Decodes base64 the way [`deserialize`] does.
    pub fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
        STANDARD.decode(text).or_else(|e| {
            if text.contains(['-', '_']) {
                URL_SAFE.decode(text)
            } else {
                Err(e)
            }
        })
    }

    struct BytesVisitor;

    impl<'de> Visitor<'de> for BytesVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("base64-encoded bytes")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
            decode(v).map_err(|e| E::custom(format_args!("invalid base64: {e}")))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Vec<u8>, E> {
            Ok(Vec::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Vec<u8>, E> {
            Ok(Vec::new())
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<u8>, D::Error> {
            d.deserialize_any(self)
        }
    }
}

/// `map<uint64, bytes>` fields (custom TLV records): a JSON object whose keys
/// are the decimal record types and whose values are base64 (read as
/// [`bytes_base64`] reads them); `null` is the empty map.
pub mod bytes_base64_map {
    use std::collections::BTreeMap;
    use std::fmt;

    use base64::Engine as _;
    use serde::de::{self, Deserializer, MapAccess, Visitor};
    use serde::ser::{SerializeMap, Serializer};

    /// Writes the map as an object of decimal keys and standard base64 values.
    pub fn serialize<S: Serializer>(map: &BTreeMap<u64, Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_map(Some(map.len()))?;
        for (key, value) in map {
            out.serialize_entry(
                &key.to_string(),
                &base64::engine::general_purpose::STANDARD.encode(value),
            )?;
        }
        out.end()
    }

    /// Reads an object of decimal keys and base64 values, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<u64, Vec<u8>>, D::Error> {
        d.deserialize_any(MapVisitor)
    }

    struct MapVisitor;

    impl<'de> Visitor<'de> for MapVisitor {
        type Value = BTreeMap<u64, Vec<u8>>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of record types to base64 values")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((key, value)) = map.next_entry::<String, Option<String>>()? {
                let record: u64 = key.trim().parse().map_err(|_| {
                    de::Error::custom(format_args!("record type {key:?} is not a uint64"))
                })?;
                let bytes = match value {
                    Some(text) => super::bytes_base64::decode(&text).map_err(|e| {
                        de::Error::custom(format_args!("record {record}: invalid base64: {e}"))
                    })?,
                    None => Vec::new(),
                };
                out.insert(record, bytes);
            }
            Ok(out)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
}

/// For fields that lnd may write as `null` (unset messages): reads `null` as
/// the type's default.
pub fn null_as_default<'de, T, D>(d: D) -> Result<T, D::Error>
where
    T: Deserialize<'de> + Default,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Sample {
        #[serde(with = "super::int64_string")]
        signed: i64,
        #[serde(with = "super::int64_string")]
        unsigned: u64,
        #[serde(with = "super::int32_number")]
        small: i32,
        #[serde(with = "super::int32_number")]
        small_unsigned: u32,
        #[serde(with = "super::bytes_base64")]
        data: Vec<u8>,
    }

    #[test]
    fn int64_is_written_as_a_string_and_read_back() {
        let sample = Sample {
            signed: i64::MIN,
            unsigned: u64::MAX,
            small: -7,
            small_unsigned: u32::MAX,
            data: vec![0xfb, 0xff, 0x01],
        };
        let text = serde_json::to_string(&sample).unwrap();
        assert_eq!(
            text,
            r#"{"signed":"-9223372036854775808","unsigned":"18446744073709551615","small":-7,"small_unsigned":4294967295,"data":"+/8B"}"#
        );
        assert_eq!(serde_json::from_str::<Sample>(&text).unwrap(), sample);
    }

    #[test]
    fn int64_accepts_plain_numbers_and_other_proto3_forms() {
        let read = |json: &str| serde_json::from_str::<Sample>(json);
        assert_eq!(read(r#"{"signed": -5, "unsigned": 5}"#).unwrap().signed, -5);
        assert_eq!(
            read(r#"{"unsigned": 18446744073709551615}"#)
                .unwrap()
                .unsigned,
            u64::MAX
        );
        assert_eq!(read(r#"{"signed": "1e3"}"#).unwrap().signed, 1000);
        assert_eq!(read(r#"{"signed": 2.0}"#).unwrap().signed, 2);
        assert_eq!(
            read(r#"{"signed": null, "data": null}"#).unwrap(),
            Sample::default()
        );
        // 32-bit fields read decimal strings too.
        assert_eq!(read(r#"{"small": "-12"}"#).unwrap().small, -12);
        // Missing fields are zero.
        assert_eq!(read("{}").unwrap(), Sample::default());
    }

    #[test]
    fn out_of_range_and_garbage_are_errors() {
        let read = |json: &str| serde_json::from_str::<Sample>(json);
        assert!(read(r#"{"unsigned": -1}"#).is_err());
        assert!(read(r#"{"unsigned": "-1"}"#).is_err());
        assert!(read(r#"{"small": 2147483648}"#).is_err());
        assert!(read(r#"{"small_unsigned": -1}"#).is_err());
        assert!(read(r#"{"signed": "9223372036854775808"}"#).is_err());
        assert!(read(r#"{"unsigned": "18446744073709551616"}"#).is_err());
        assert!(read(r#"{"signed": 1.5}"#).is_err());
        assert!(read(r#"{"signed": ""}"#).is_err());
        assert!(read(r#"{"signed": "12abc"}"#).is_err());
        assert!(read(r#"{"signed": true}"#).is_err());
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Repeated {
        #[serde(with = "super::int64_string_vec")]
        ids: Vec<u64>,
    }

    #[test]
    fn repeated_int64_is_an_array_of_strings() {
        let ids = Repeated {
            ids: vec![0, 17_592_186_044_416_000_001, u64::MAX],
        };
        let text = serde_json::to_string(&ids).unwrap();
        assert_eq!(
            text,
            r#"{"ids":["0","17592186044416000001","18446744073709551615"]}"#
        );
        assert_eq!(serde_json::from_str::<Repeated>(&text).unwrap(), ids);
        let read = |json: &str| serde_json::from_str::<Repeated>(json).map(|r| r.ids);
        assert_eq!(read(r#"{"ids": [1, "2", 3.0]}"#).unwrap(), [1, 2, 3]);
        assert!(read(r#"{"ids": null}"#).unwrap().is_empty());
        assert!(read("{}").unwrap().is_empty());
        assert!(read(r#"{"ids": ["-1"]}"#).is_err());
        assert!(read(r#"{"ids": "1"}"#).is_err());
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Records {
        #[serde(with = "super::bytes_base64_map")]
        records: std::collections::BTreeMap<u64, Vec<u8>>,
    }

    #[test]
    fn byte_maps_have_decimal_keys_and_base64_values() {
        let records = Records {
            records: [(5_482_373_484, vec![0xfb, 0xff, 0x01]), (65_536, vec![])].into(),
        };
        let text = serde_json::to_string(&records).unwrap();
        assert_eq!(text, r#"{"records":{"65536":"","5482373484":"+/8B"}}"#);
        assert_eq!(serde_json::from_str::<Records>(&text).unwrap(), records);
        let read = |json: &str| serde_json::from_str::<Records>(json).map(|r| r.records);
        assert_eq!(
            read(r#"{"records": {"7": "-_8B"}}"#).unwrap()[&7],
            [0xfb, 0xff, 0x01]
        );
        assert_eq!(
            read(r#"{"records": {"7": null}}"#).unwrap()[&7],
            Vec::<u8>::new()
        );
        assert!(read(r#"{"records": null}"#).unwrap().is_empty());
        assert!(read(r#"{"records": {"x": "AA=="}}"#).is_err());
        assert!(read(r#"{"records": {"-1": "AA=="}}"#).is_err());
        assert!(read(r#"{"records": {"1": "!!"}}"#).is_err());
    }

    #[test]
    fn base64_accepts_url_safe_and_unpadded() {
        let read = |json: &str| serde_json::from_str::<Sample>(json).map(|s| s.data);
        assert_eq!(read(r#"{"data": "+/8B"}"#).unwrap(), [0xfb, 0xff, 0x01]);
        assert_eq!(read(r#"{"data": "-_8B"}"#).unwrap(), [0xfb, 0xff, 0x01]);
        assert_eq!(read(r#"{"data": "AQ=="}"#).unwrap(), [1]);
        assert_eq!(read(r#"{"data": "AQ"}"#).unwrap(), [1]);
        assert!(read(r#"{"data": "!!"}"#).is_err());
    }
}
