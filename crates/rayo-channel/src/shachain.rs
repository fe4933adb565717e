//! BOLT 3 "Efficient Per-commitment Secret Storage": the compact store of the
//! per-commitment secrets the peer reveals, one per revoked commitment.
//!
//! Secrets arrive in descending BOLT 3 index order starting at `2^48 - 1`
//! (see [`crate::keys`] for index vs. commitment number). A secret whose
//! index ends in `b` zero bits derives every secret whose index shares its
//! bits `b..47`, so keeping the latest secret per count of trailing zeros,
//! at most 49 of them, is enough to recover every secret received so far.
//! Each insertion checks that the new secret derives the ones it replaces
//! the need for, which catches a peer whose secrets do not come from one
//! seed as early as possible.
//!
//! The store serializes by hand ([`SecretStore::to_bytes`] /
//! [`SecretStore::from_bytes`]) so the node can persist it with the channel;
//! decoding validates everything and never panics.

use bitcoin::hashes::{sha256, Hash};

use crate::keys::{derive_secret, MAX_INDEX};

/// The number of buckets: one per possible count of trailing zeros of a
/// 48-bit index (0 to 47), plus one for index 0 (the seed itself).
pub const MAX_ENTRIES: usize = 49;

/// Version byte leading the serialized form, so the format can evolve.
pub const FORMAT_VERSION: u8 = 1;

/// Bytes per serialized entry: an 8-byte big-endian index and the secret.
const ENTRY_LEN: usize = 8 + 32;

/// Bytes of the trailing checksum: the first 4 bytes of SHA256 of all that
/// precedes it. Derivation checks cannot see a corrupted entry that no other
/// entry derives yet, so a checksum catches damage at rest.
const CHECKSUM_LEN: usize = 4;

/// Header (version, count) plus checksum.
const OVERHEAD: usize = 2 + CHECKSUM_LEN;

/// Why [`SecretStore::insert_secret`] refused a secret. Any of these means the
/// peer revealed a wrong secret (BOLT 2: fail the channel).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShachainError {
    /// Indexes are 48-bit.
    #[error("index {0} does not fit in 48 bits")]
    IndexOutOfRange(u64),
    /// Secrets must arrive one at a time in descending order from
    /// `2^48 - 1`; a skipped, repeated or reordered index is refused.
    #[error("expected the secret of index {expected:?}, got index {got}")]
    UnexpectedIndex {
        /// The only index the store accepts next (`None` once index 0 is in).
        expected: Option<u64>,
        /// The index offered.
        got: u64,
    },
    /// The new secret does not derive a secret received earlier: the two did
    /// not come from the same seed.
    #[error(
        "the secret for index {index} does not derive the known secret of index {known_index}"
    )]
    SecretMismatch {
        /// The index of the secret refused.
        index: u64,
        /// The index of the earlier secret it fails to derive.
        known_index: u64,
    },
}

/// Why [`SecretStore::from_bytes`] refused its input (corrupt or foreign
/// data; the bytes were not written by [`SecretStore::to_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShachainDecodeError {
    /// Shorter than the header and checksum of an empty store (6 bytes).
    #[error("truncated: {0} bytes, at least 6 expected")]
    Truncated(usize),
    /// The version byte is not [`FORMAT_VERSION`].
    #[error("unknown shachain format version {0}")]
    UnknownVersion(u8),
    /// More entries than the 49 a store can hold.
    #[error("{0} entries, at most 49")]
    TooManyEntries(u8),
    /// The length does not match the entry count.
    #[error("length {got} bytes, {expected} expected for the entry count")]
    WrongLength {
        /// `2 + 40 * count + 4`.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// The checksum does not match: the bytes were damaged.
    #[error("checksum mismatch")]
    ChecksumMismatch,
    /// The indexes are not those a store fed in order would hold (entry
    /// `b` must hold the lowest received index ending in exactly `b` zeros).
    #[error("entry {bucket} has index {index}, which a valid store cannot hold there")]
    BadIndex {
        /// Position of the entry.
        bucket: usize,
        /// The index found there.
        index: u64,
    },
    /// A stored secret does not derive another stored secret it should.
    #[error("stored secret of index {index} does not derive stored secret of index {known_index}")]
    SecretMismatch {
        /// Index of the deriving secret.
        index: u64,
        /// Index of the secret it fails to derive.
        known_index: u64,
    },
}

/// One kept secret and its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    index: u64,
    secret: [u8; 32],
}

/// The peer's revealed per-commitment secrets, in at most 49 entries.
///
/// Entry `b` holds the lowest index received so far that ends in exactly `b`
/// zero bits (entry 48 is index 0). Because secrets arrive strictly in
/// descending order, the filled entries are always a prefix `0..len`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretStore {
    known: Vec<Entry>,
}

/// BOLT 3 `where_to_put_secret`: the count of trailing zeros, 48 for index 0.
fn bucket_of(index: u64) -> usize {
    if index == 0 {
        48
    } else {
        index.trailing_zeros() as usize
    }
}

/// The mask keeping bits `bucket..47` of an index (the prefix a bucket's
/// secret shares with everything it derives).
fn prefix_mask(bucket: usize) -> u64 {
    !((1u64 << bucket) - 1)
}

impl SecretStore {
    /// An empty store, for a channel whose peer has revoked nothing yet.
    pub fn new() -> SecretStore {
        SecretStore {
            known: Vec::with_capacity(MAX_ENTRIES),
        }
    }

    /// Adds the secret of `index` (BOLT 3 index, see [`crate::keys`]) that
    /// the peer revealed in `revoke_and_ack`. The index must be exactly the
    /// next one ([`SecretStore::next_index`]), and the secret must derive
    /// every kept secret it now stands for; otherwise the store is unchanged
    /// and the error says why.
    pub fn insert_secret(&mut self, secret: [u8; 32], index: u64) -> Result<(), ShachainError> {
        if index > MAX_INDEX {
            return Err(ShachainError::IndexOutOfRange(index));
        }
        let expected = self.next_index();
        if expected != Some(index) {
            return Err(ShachainError::UnexpectedIndex {
                expected,
                got: index,
            });
        }
        let bucket = bucket_of(index);
        for known in &self.known[..bucket.min(self.known.len())] {
            if derive_secret(secret, bucket as u32, known.index) != known.secret {
                return Err(ShachainError::SecretMismatch {
                    index,
                    known_index: known.index,
                });
            }
        }
        let entry = Entry { index, secret };
        match self.known.get_mut(bucket) {
            Some(slot) => *slot = entry,
            // In-order insertion only ever extends the prefix by one.
            None => self.known.push(entry),
        }
        Ok(())
    }

    /// The secret of `index`, derived from the kept entry that covers it;
    /// `None` if that index has not been revealed yet (or is not 48-bit).
    pub fn get_secret(&self, index: u64) -> Option<[u8; 32]> {
        if index > MAX_INDEX || index < self.min_index()? {
            return None;
        }
        self.known.iter().enumerate().find_map(|(bucket, entry)| {
            (index & prefix_mask(bucket) == entry.index)
                .then(|| derive_secret(entry.secret, bucket as u32, index))
        })
    }

    /// The lowest index revealed so far, i.e. that of the most recently
    /// revoked commitment; `None` before the first `revoke_and_ack`.
    pub fn min_index(&self) -> Option<u64> {
        self.known.iter().map(|e| e.index).min()
    }

    /// The secret of [`SecretStore::min_index`]: the last one the peer
    /// revealed, which `channel_reestablish` echoes as
    /// `your_last_per_commitment_secret` (all zeros when `None`).
    pub fn last_secret(&self) -> Option<[u8; 32]> {
        self.get_secret(self.min_index()?)
    }

    /// The only index [`SecretStore::insert_secret`] accepts next: `2^48 - 1`
    /// for an empty store, then one below the last; `None` once index 0 (the
    /// seed) is known.
    pub fn next_index(&self) -> Option<u64> {
        match self.min_index() {
            None => Some(MAX_INDEX),
            Some(min) => min.checked_sub(1),
        }
    }

    /// How many secrets have been revealed (`2^48 - min_index`), which is the
    /// number of the peer's commitments revoked so far.
    pub fn revealed_count(&self) -> u64 {
        self.min_index().map_or(0, |min| MAX_INDEX - min + 1)
    }

    /// The store as bytes for persistence: version byte, entry count, then per
    /// entry (in bucket order) the index as 8 bytes big-endian and the 32-byte
    /// secret, then a 4-byte checksum (the first bytes of SHA256 of all the
    /// rest). At most `2 + 49 * 40 + 4` bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(OVERHEAD + self.known.len() * ENTRY_LEN);
        out.push(FORMAT_VERSION);
        // At most 49 entries, by construction.
        out.push(self.known.len() as u8);
        for entry in &self.known {
            out.extend_from_slice(&entry.index.to_be_bytes());
            out.extend_from_slice(&entry.secret);
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum);
        out
    }

    /// Reads bytes written by [`SecretStore::to_bytes`], checking the layout,
    /// that the indexes are exactly those of a store fed in order, and that
    /// every stored secret derives the stored secrets under it; corrupt input
    /// is an error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<SecretStore, ShachainDecodeError> {
        if bytes.len() < OVERHEAD {
            return Err(ShachainDecodeError::Truncated(bytes.len()));
        }
        let (version, count) = (bytes[0], bytes[1]);
        if version != FORMAT_VERSION {
            return Err(ShachainDecodeError::UnknownVersion(version));
        }
        let count_usize = usize::from(count);
        if count_usize > MAX_ENTRIES {
            return Err(ShachainDecodeError::TooManyEntries(count));
        }
        let expected = OVERHEAD + count_usize * ENTRY_LEN;
        if bytes.len() != expected {
            return Err(ShachainDecodeError::WrongLength {
                expected,
                got: bytes.len(),
            });
        }
        let (content, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        if checksum(content) != sum {
            return Err(ShachainDecodeError::ChecksumMismatch);
        }
        let known: Vec<Entry> = content[2..]
            .chunks_exact(ENTRY_LEN)
            .map(|chunk| {
                let (index, secret) = chunk.split_at(8);
                let mut index_bytes = [0u8; 8];
                index_bytes.copy_from_slice(index);
                let mut secret_bytes = [0u8; 32];
                secret_bytes.copy_from_slice(secret);
                Entry {
                    index: u64::from_be_bytes(index_bytes),
                    secret: secret_bytes,
                }
            })
            .collect();

        // The layout an in-order store has for its lowest index.
        if let Some(min) = known.iter().map(|e| e.index).min() {
            let expected = expected_layout(min);
            if expected.len() != known.len() {
                return Err(ShachainDecodeError::BadIndex {
                    bucket: known.len().min(expected.len()),
                    index: known.get(expected.len()).map_or(min, |e| e.index),
                });
            }
            for (bucket, (entry, want)) in known.iter().zip(&expected).enumerate() {
                if entry.index != *want {
                    return Err(ShachainDecodeError::BadIndex {
                        bucket,
                        index: entry.index,
                    });
                }
            }
        }
        for (c, high) in known.iter().enumerate() {
            for low in &known[..c] {
                if low.index & prefix_mask(c) == high.index
                    && derive_secret(high.secret, c as u32, low.index) != low.secret
                {
                    return Err(ShachainDecodeError::SecretMismatch {
                        index: high.index,
                        known_index: low.index,
                    });
                }
            }
        }
        Ok(SecretStore { known })
    }
}

/// The first [`CHECKSUM_LEN`] bytes of SHA256 of `bytes`.
fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    let hash = sha256::Hash::hash(bytes).to_byte_array();
    [hash[0], hash[1], hash[2], hash[3]]
}

/// The indexes an in-order store holds once `min` is its lowest index: entry
/// `b` is the lowest index `>= min` that ends in exactly `b` zero bits, for
/// every `b` such that one exists up to `2^48 - 1` (entry 48 only if `min` is
/// 0). `min` must be 48-bit; any other value gives no entries.
fn expected_layout(min: u64) -> Vec<u64> {
    let mut out = Vec::new();
    if min > MAX_INDEX {
        return out;
    }
    for b in 0..48u32 {
        // Smallest multiple of 2^b that is >= min, then make it an odd
        // multiple so it has exactly b trailing zeros.
        let step = 1u64 << b;
        let mut candidate = min.div_ceil(step) * step;
        if candidate == 0 || (candidate >> b) & 1 == 0 {
            candidate += step;
        }
        if candidate > MAX_INDEX {
            break;
        }
        out.push(candidate);
    }
    if min == 0 {
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::per_commitment_secret;

    const SEED: [u8; 32] = [0x42; 32];

    fn store_with(count: u64) -> SecretStore {
        let mut store = SecretStore::new();
        for i in 0..count {
            let index = MAX_INDEX - i;
            store
                .insert_secret(per_commitment_secret(&SEED, index), index)
                .unwrap();
        }
        store
    }

    #[test]
    fn in_order_store_derives_every_received_secret() {
        let store = store_with(300);
        assert_eq!(store.min_index(), Some(MAX_INDEX - 299));
        assert_eq!(store.next_index(), Some(MAX_INDEX - 300));
        assert_eq!(store.revealed_count(), 300);
        assert_eq!(
            store.last_secret(),
            Some(per_commitment_secret(&SEED, MAX_INDEX - 299))
        );
        for i in 0..300 {
            let index = MAX_INDEX - i;
            assert_eq!(
                store.get_secret(index),
                Some(per_commitment_secret(&SEED, index))
            );
        }
        assert_eq!(store.get_secret(MAX_INDEX - 300), None);
        assert_eq!(store.get_secret(MAX_INDEX + 1), None);
        assert!(store.known.len() <= MAX_ENTRIES);
    }

    #[test]
    fn empty_store() {
        let store = SecretStore::new();
        assert_eq!(store.min_index(), None);
        assert_eq!(store.last_secret(), None);
        assert_eq!(store.next_index(), Some(MAX_INDEX));
        assert_eq!(store.revealed_count(), 0);
        assert_eq!(store.get_secret(MAX_INDEX), None);
        assert_eq!(SecretStore::from_bytes(&store.to_bytes()), Ok(store));
    }

    #[test]
    fn out_of_order_and_out_of_range_indexes_are_refused() {
        let mut store = store_with(3);
        let before = store.clone();
        let skip = MAX_INDEX - 4;
        assert_eq!(
            store.insert_secret(per_commitment_secret(&SEED, skip), skip),
            Err(ShachainError::UnexpectedIndex {
                expected: Some(MAX_INDEX - 3),
                got: skip
            })
        );
        let again = MAX_INDEX - 2;
        assert_eq!(
            store.insert_secret(per_commitment_secret(&SEED, again), again),
            Err(ShachainError::UnexpectedIndex {
                expected: Some(MAX_INDEX - 3),
                got: again
            })
        );
        assert_eq!(
            store.insert_secret([0; 32], MAX_INDEX + 1),
            Err(ShachainError::IndexOutOfRange(MAX_INDEX + 1))
        );
        assert_eq!(store, before);
    }

    #[test]
    fn expected_layout_matches_in_order_inserts() {
        for count in [1u64, 2, 3, 4, 5, 8, 16, 17, 255, 256, 257, 1000] {
            let store = store_with(count);
            let indexes: Vec<u64> = store.known.iter().map(|e| e.index).collect();
            assert_eq!(
                indexes,
                expected_layout(MAX_INDEX - count + 1),
                "count {count}"
            );
        }
        // The far end: index 0 fills bucket 48 and every bucket below it.
        let full = expected_layout(0);
        assert_eq!(full.len(), MAX_ENTRIES);
        assert_eq!(full[0], 1);
        assert_eq!(full[47], 1 << 47);
        assert_eq!(full[48], 0);
    }

    #[test]
    fn bytes_round_trip() {
        for count in [1u64, 2, 7, 64, 1000] {
            let store = store_with(count);
            let bytes = store.to_bytes();
            assert_eq!(bytes.len(), OVERHEAD + store.known.len() * ENTRY_LEN);
            assert_eq!(SecretStore::from_bytes(&bytes).as_ref(), Ok(&store));
        }
    }

    /// Recomputes the checksum of tampered bytes, to reach the checks
    /// behind it.
    fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
        let n = bytes.len() - CHECKSUM_LEN;
        let sum = checksum(&bytes[..n]);
        bytes[n..].copy_from_slice(&sum);
        bytes
    }

    #[test]
    fn corrupt_bytes_are_errors() {
        let store = store_with(1000);
        let good = store.to_bytes();
        let count = good[1];

        for len in 0..OVERHEAD {
            assert_eq!(
                SecretStore::from_bytes(&good[..len]),
                Err(ShachainDecodeError::Truncated(len))
            );
        }

        let mut bad = good.clone();
        bad[0] = 2;
        assert_eq!(
            SecretStore::from_bytes(&bad),
            Err(ShachainDecodeError::UnknownVersion(2))
        );

        let mut bad = good.clone();
        bad[1] = 50;
        assert_eq!(
            SecretStore::from_bytes(&bad),
            Err(ShachainDecodeError::TooManyEntries(50))
        );

        let bad = &good[..good.len() - 1];
        assert_eq!(
            SecretStore::from_bytes(bad),
            Err(ShachainDecodeError::WrongLength {
                expected: good.len(),
                got: good.len() - 1
            })
        );
        let mut bad = good.clone();
        bad.push(0);
        assert!(matches!(
            SecretStore::from_bytes(&bad),
            Err(ShachainDecodeError::WrongLength { .. })
        ));

        // Any flipped bit past the header is caught by the checksum.
        for byte in 2..good.len() {
            let mut bad = good.clone();
            bad[byte] ^= 1 << (byte % 8);
            assert_eq!(
                SecretStore::from_bytes(&bad),
                Err(ShachainDecodeError::ChecksumMismatch),
                "byte {byte}"
            );
        }

        // Behind a valid checksum: one entry fewer than the lowest index needs.
        let mut bad = good[..good.len() - CHECKSUM_LEN - ENTRY_LEN].to_vec();
        bad[1] = count - 1;
        bad.extend_from_slice(&[0; CHECKSUM_LEN]);
        assert!(matches!(
            SecretStore::from_bytes(&reseal(bad)),
            Err(ShachainDecodeError::BadIndex { .. })
        ));

        // An index with the wrong number of trailing zeros for its entry.
        let mut bad = good.clone();
        bad[2 + ENTRY_LEN + 7] ^= 0x01;
        assert_eq!(
            SecretStore::from_bytes(&reseal(bad)),
            Err(ShachainDecodeError::BadIndex {
                bucket: 1,
                index: 0xFFFF_FFFF_FC1B
            })
        );

        // A secret that a stored higher secret derives, altered.
        let mut bad = good.clone();
        bad[2 + 8 + 5] ^= 0x10;
        assert!(matches!(
            SecretStore::from_bytes(&reseal(bad)),
            Err(ShachainDecodeError::SecretMismatch { .. })
        ));

        // Arbitrary bytes never panic.
        for len in 0..120 {
            let junk: Vec<u8> = (0..len).map(|i| (i * 37 + 1) as u8).collect();
            assert!(SecretStore::from_bytes(&junk).is_err());
        }
    }
}
