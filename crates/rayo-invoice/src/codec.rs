//! The bech32 layer: BOLT 11's checksum and conversions between 5-bit words
//! (one per data character) and bytes or integers.
//!
//! Words are kept as `u8` values below 32; they only become
//! [`bitcoin::bech32::Fe32`] at the string boundary.

use bitcoin::bech32::primitives::checksum::Checksum;
use bitcoin::bech32::primitives::decode::{
    CharError, CheckedHrpstring, CheckedHrpstringError, ChecksumError, UncheckedHrpstringError,
};
use bitcoin::bech32::{Fe32, Fe32IterExt, Hrp};

use crate::error::InvoiceError;
use crate::MAX_INVOICE_LENGTH;

/// Plain bech32 (BIP 173), with a code length large enough for invoices.
///
/// The generator and target residue are BIP 173's; only the length limit
/// differs, since invoices are routinely longer than 90 (or 1023) characters.
pub(crate) enum Bolt11Checksum {}

impl Checksum for Bolt11Checksum {
    type MidstateRepr = u32;
    const CODE_LENGTH: usize = MAX_INVOICE_LENGTH;
    const CHECKSUM_LENGTH: usize = 6;
    // BIP 173's generator polynomial and its shifts by x, x^2, x^3, x^4.
    const GENERATOR_SH: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    const TARGET_RESIDUE: u32 = 1;
}

/// Splits a bech32 string into its lowercase human-readable part and its
/// data words (checksum removed), checking characters, case and checksum.
pub(crate) fn decode(s: &str) -> Result<(Hrp, Vec<u8>), InvoiceError> {
    if s.len() > MAX_INVOICE_LENGTH {
        return Err(InvoiceError::TooLong {
            len: s.len(),
            max: MAX_INVOICE_LENGTH,
        });
    }
    let checked = CheckedHrpstring::new::<Bolt11Checksum>(s).map_err(map_bech32_error)?;
    // Hrp keeps the input's case; the signature covers the lowercase form.
    let hrp = Hrp::parse(&checked.hrp().to_lowercase()).map_err(|_| InvoiceError::Malformed)?;
    let words = checked
        .fe32_iter::<std::iter::Empty<u8>>()
        .map(Fe32::to_u8)
        .collect();
    Ok((hrp, words))
}

fn map_bech32_error(e: CheckedHrpstringError) -> InvoiceError {
    match e {
        CheckedHrpstringError::Parse(UncheckedHrpstringError::Char(c)) => match c {
            CharError::MissingSeparator => InvoiceError::MissingSeparator,
            CharError::NothingAfterSeparator => InvoiceError::TooShort,
            CharError::InvalidChar(ch) => InvoiceError::InvalidChar(ch),
            CharError::MixedCase => InvoiceError::MixedCase,
            _ => InvoiceError::Malformed,
        },
        CheckedHrpstringError::Parse(UncheckedHrpstringError::Hrp(_)) => {
            InvoiceError::InvalidPrefix
        }
        CheckedHrpstringError::Checksum(ChecksumError::InvalidResidue) => {
            InvoiceError::InvalidChecksum
        }
        CheckedHrpstringError::Checksum(ChecksumError::InvalidLength) => InvoiceError::TooShort,
        CheckedHrpstringError::Checksum(ChecksumError::CodeLength(_)) => InvoiceError::TooLong {
            len: MAX_INVOICE_LENGTH + 1,
            max: MAX_INVOICE_LENGTH,
        },
        _ => InvoiceError::Malformed,
    }
}

/// Writes `hrp`, the separator, `words` and their checksum, in lowercase.
pub(crate) fn encode(hrp: &Hrp, words: &[u8], out: &mut impl std::fmt::Write) -> std::fmt::Result {
    words
        .iter()
        .map(|w| fe(*w))
        .with_checksum::<Bolt11Checksum>(hrp)
        .chars()
        .try_for_each(|c| out.write_char(c))
}

/// The field element for the low 5 bits of `w`.
fn fe(w: u8) -> Fe32 {
    // Cannot fail: the value is masked to 5 bits.
    Fe32::try_from(w & 0x1f).unwrap_or(Fe32::Q)
}

/// The bech32 character for a 5-bit value (how BOLT 11 names field tags).
pub(crate) fn word_char(w: u8) -> char {
    fe(w).to_char()
}

/// Regroups a stream of `from`-bit values into `to`-bit values, big-endian.
/// With `pad`, a final partial group is filled with zero bits; without, the
/// leftover bits are dropped.
fn regroup(input: &[u8], from: u32, to: u32, pad: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * from as usize / to as usize + 1);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let mask = (1u32 << to) - 1;
    for &v in input {
        acc = (acc << from) | (u32::from(v) & ((1 << from) - 1));
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & mask) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    if pad && bits > 0 {
        out.push(((acc << (to - bits)) & mask) as u8);
    }
    out
}

/// Bytes carried by a field's words: trailing bits that do not fill a byte
/// are padding and are dropped.
pub(crate) fn words_to_bytes(words: &[u8]) -> Vec<u8> {
    regroup(words, 5, 8, false)
}

/// Words packed into bytes with zero bits appended to the last byte: the
/// form the signature hash covers.
pub(crate) fn words_to_bytes_padded(words: &[u8]) -> Vec<u8> {
    regroup(words, 5, 8, true)
}

/// Bytes as words, the last word padded with zero bits.
pub(crate) fn bytes_to_words(bytes: &[u8]) -> Vec<u8> {
    regroup(bytes, 8, 5, true)
}

/// A big-endian number from words, or `None` if it does not fit in a u64.
pub(crate) fn words_to_u64(words: &[u8]) -> Option<u64> {
    words.iter().try_fold(0u64, |acc, &w| {
        if acc >> 59 != 0 {
            None
        } else {
            Some((acc << 5) | u64::from(w & 0x1f))
        }
    })
}

/// `v` in the fewest words (none for zero), as `x` and `c` require.
pub(crate) fn u64_to_words(v: u64) -> Vec<u8> {
    let mut words = Vec::with_capacity(13);
    let mut rest = v;
    while rest != 0 {
        words.push((rest & 0x1f) as u8);
        rest >>= 5;
    }
    words.reverse();
    words
}

/// `v` in exactly `n` words (the timestamp and field lengths); higher bits
/// are cut, so callers bound `v` first.
pub(crate) fn u64_to_fixed_words(v: u64, n: usize) -> Vec<u8> {
    (0..n)
        .rev()
        .map(|i| ((v >> (5 * i)) & 0x1f) as u8)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_constants_are_consistent() {
        Bolt11Checksum::sanity_check();
    }

    #[test]
    fn regrouping_round_trips() {
        let bytes = [0x00, 0x01, 0x02, 0xff, 0x80];
        let words = bytes_to_words(&bytes);
        assert_eq!(words.len(), 8);
        assert_eq!(words_to_bytes(&words), bytes);
        // 32 bytes take 52 words with 4 padding bits.
        assert_eq!(bytes_to_words(&[0x11; 32]).len(), 52);
        assert_eq!(words_to_bytes(&bytes_to_words(&[0x11; 32])), [0x11; 32]);
    }

    #[test]
    fn numbers_use_minimal_words() {
        assert_eq!(u64_to_words(0), Vec::<u8>::new());
        assert_eq!(u64_to_words(60), vec![1, 28]);
        assert_eq!(words_to_u64(&[18, 14, 20, 0]), Some(604_800));
        assert_eq!(words_to_u64(&u64_to_words(u64::MAX)), Some(u64::MAX));
        assert_eq!(words_to_u64(&[31; 13]), None);
        assert_eq!(u64_to_fixed_words(1_496_314_658, 7).len(), 7);
        assert_eq!(
            words_to_u64(&u64_to_fixed_words(1_496_314_658, 7)),
            Some(1_496_314_658)
        );
    }
}
