//! The BIP39 seed every key of the node derives from.
//!
//! The node creates a [`Seed`] once from 32 bytes of entropy it draws
//! itself (this crate has no RNG), shows the 24 words to the user (or writes
//! them to a file in a dev mode), and keeps the words and the passphrase.
//! [`Seed::master_key`] is the BIP32 root of the wallet's accounts
//! ([`crate::keys`]) and of the node's own keys ([`crate::keys::node_secret`]).

use std::fmt;

use bip39::Mnemonic;
use bitcoin::bip32::Xpriv;
use bitcoin::Network;

/// Why a mnemonic or a seed could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The words are not a valid BIP39 English mnemonic (unknown word,
    /// wrong count, bad checksum).
    #[error("invalid mnemonic: {0}")]
    Mnemonic(#[from] bip39::Error),
    /// The seed gives an invalid BIP32 master key (probability about 2^-127).
    #[error("invalid master key: {0}")]
    MasterKey(#[from] bitcoin::bip32::Error),
}

/// A BIP39 mnemonic with its passphrase, and the 64-byte seed they give.
#[derive(Clone, PartialEq, Eq)]
pub struct Seed {
    mnemonic: Mnemonic,
    seed: [u8; 64],
}

impl Seed {
    /// A new 24-word mnemonic (no passphrase) from 32 bytes of entropy the
    /// caller drew from a cryptographic RNG.
    pub fn generate(entropy: [u8; 32]) -> Seed {
        let mnemonic = Mnemonic::from_entropy(&entropy)
            .expect("32 bytes is a valid BIP39 entropy length (256 bits, 24 words)");
        let seed = mnemonic.to_seed("");
        Seed { mnemonic, seed }
    }

    /// The seed of existing words (12 to 24, English, checksummed,
    /// separated by any whitespace) and an optional passphrase ("" for
    /// none). Both are NFKD-normalized as BIP39 says.
    pub fn from_mnemonic(words: &str, passphrase: &str) -> Result<Seed, SeedError> {
        let mnemonic = Mnemonic::parse(words)?;
        let seed = mnemonic.to_seed(passphrase);
        Ok(Seed { mnemonic, seed })
    }

    /// The mnemonic, to show once or back up. `to_string()` gives the words
    /// separated by single spaces.
    pub fn mnemonic(&self) -> &Mnemonic {
        &self.mnemonic
    }

    /// The 64-byte BIP39 seed.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.seed
    }

    /// The BIP32 master key for `network` (version bytes xprv/tprv).
    pub fn master_key(&self, network: Network) -> Result<Xpriv, SeedError> {
        Ok(Xpriv::new_master(network, &self.seed)?)
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_gives_24_words_that_parse_back() {
        let seed = Seed::generate([7u8; 32]);
        let words = seed.mnemonic().to_string();
        assert_eq!(words.split(' ').count(), 24);
        let again = Seed::from_mnemonic(&words, "").unwrap();
        assert_eq!(again, seed);
        let spaced = format!("  {}\n", words.replace(' ', " \t "));
        assert_eq!(Seed::from_mnemonic(&spaced, "").unwrap(), seed);
        assert_eq!(format!("{seed:?}"), "Seed(<redacted>)");
    }

    #[test]
    fn passphrase_changes_the_seed() {
        let words = Seed::generate([1u8; 32]).mnemonic().to_string();
        let a = Seed::from_mnemonic(&words, "").unwrap();
        let b = Seed::from_mnemonic(&words, "TREZOR").unwrap();
        assert_ne!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn bad_words_are_an_error() {
        assert!(Seed::from_mnemonic("abandon abandon abandon", "").is_err());
        // Valid words, bad checksum.
        let bad = ["abandon"; 12].join(" ");
        assert!(Seed::from_mnemonic(&bad, "").is_err());
        assert!(Seed::from_mnemonic("not a mnemonic at all", "").is_err());
    }

    #[test]
    fn bip39_vector_seed_and_root_key() {
        // BIP32/BIP84/BIP86 vectors share this mnemonic; its root xprv is
        // published in BIP86's test vectors.
        let words = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        let seed = Seed::from_mnemonic(words, "").unwrap();
        let master = seed.master_key(Network::Bitcoin).unwrap();
        assert_eq!(
            master.to_string(),
            "xprv9s21ZrQH143K3GJpoapnV8SFfukcVBSfeCficPSGfubmSFDxo1kuHnLisriDvSnRRuL2Qrg5ggqHKNVpxR86QEC8w35uxmGoggxtQTPvfUu"
        );
    }
}
