//! BOLT 3 keys: per-commitment secrets and points, the per-commitment
//! derivation of every commitment key from its basepoint, the blinded
//! revocation key, and the per-channel secrets derived from the node's
//! BIP32 master key.
//!
//! Everything here is a pure function of its arguments: the node supplies
//! the master key, the secp256k1 context and the peer's points; nothing is
//! read from a clock, an RNG or a disk.
//!
//! # Index semantics
//!
//! BOLT 3 numbers per-commitment secrets by an *index* `I` that starts at
//! [`MAX_INDEX`] (`2^48 - 1`) and counts down, while BOLT 2 numbers
//! commitment transactions by a *commitment number* `n` that starts at 0 and
//! counts up. They map one to one through `I = 2^48 - 1 - n`
//! ([`commitment_index`]). [`per_commitment_secret`] and the
//! [`crate::shachain`] store take the spec's index `I` (so the appendix
//! vectors apply verbatim); [`commitment_secret`] and the [`ChannelKeys`]
//! helpers take the commitment number `n`, which is what the channel state
//! machine counts.
//!
//! # Per-channel key paths
//!
//! [`ChannelKeys::derive`] follows lnd's key families, all under
//! `m/1017'/coin'/family'/0/channel_index` (`coin` is 0 on mainnet and 1 on
//! every test network, as for the node identity key in `rayo-wallet`):
//!
//! | family | key |
//! |---|---|
//! | 0 | funding (2-of-2 multisig) key |
//! | 1 | revocation basepoint secret |
//! | 2 | HTLC basepoint secret |
//! | 3 | payment basepoint secret |
//! | 4 | delayed payment basepoint secret |
//! | 5 | revocation root: the per-commitment seed is `SHA256(private key bytes)` |
//! | 6 | (node identity key, index 0; not a channel key) |

use bitcoin::bip32::{self, ChildNumber, DerivationPath, Xpriv};
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::secp256k1::{PublicKey, Scalar, Secp256k1, SecretKey, Signing, Verification};
use bitcoin::NetworkKind;

/// The first per-commitment index BOLT 3 uses, `2^48 - 1`: commitment number
/// 0 uses this index, and each later commitment the index one lower. Also
/// the mask of the 48 bits an index has.
pub const MAX_INDEX: u64 = (1 << 48) - 1;

/// The highest commitment number a channel can reach (`2^48 - 1`, whose
/// index is 0): commitment numbers are 48-bit in BOLT 3 (the obscured
/// commitment number), so a channel must close before going past it.
pub const MAX_COMMITMENT_NUMBER: u64 = MAX_INDEX;

/// BIP43 purpose of lnd's key families, under which the node's Lightning keys
/// live (the node identity key is family 6 under the same purpose).
pub const LN_PURPOSE: u32 = 1017;

/// lnd's key families for the per-channel keys, used as the hardened third
/// level of `m/1017'/coin'/family'/0/channel_index`. Following lnd keeps the
/// layout familiar to anyone who has recovered an lnd node's keys.
pub mod family {
    /// The funding (2-of-2 multisig) key.
    pub const MULTISIG: u32 = 0;
    /// The revocation basepoint secret.
    pub const REVOCATION_BASE: u32 = 1;
    /// The HTLC basepoint secret.
    pub const HTLC_BASE: u32 = 2;
    /// The payment basepoint secret (`to_remote` under static_remotekey).
    pub const PAYMENT_BASE: u32 = 3;
    /// The delayed payment basepoint secret (`to_local`).
    pub const DELAY_BASE: u32 = 4;
    /// The revocation root, from which the per-commitment seed is hashed.
    pub const REVOCATION_ROOT: u32 = 5;
}

/// Why a BOLT 3 key derivation failed. Every derivation can fail only on
/// inputs that are not valid keys or, with negligible probability (about
/// 2^-128), when a SHA256 output is not a valid scalar or a sum lands on the
/// point at infinity; the caller treats either as a protocol error from the
/// peer that supplied the inputs (fail the channel), never as a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyDerivationError {
    /// A per-commitment secret is zero or not below the curve order, so it
    /// is no private key (a peer can send such bytes in `revoke_and_ack`).
    #[error("per-commitment secret is not a valid secp256k1 private key")]
    InvalidPerCommitmentSecret,
    /// A tweak was out of range or the result was the point at infinity /
    /// the zero key.
    #[error("key derivation produced an invalid key")]
    InvalidTweak,
}

/// Why [`ChannelKeys::derive`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelKeysError {
    /// The channel index is used as a non-hardened BIP32 child, so it must be
    /// below 2^31.
    #[error("channel index {0} is not below 2^31")]
    ChannelIndexOutOfRange(u32),
    /// BIP32 derivation failed (for a master key already at depth > 250).
    #[error("bip32 derivation failed: {0}")]
    Bip32(#[from] bip32::Error),
}

/// Flips bit `b` of a 256-bit value the way BOLT 3 defines `flip(B)`: bit
/// `b mod 8` of byte `b div 8`.
fn flip(p: &mut [u8; 32], b: u32) {
    p[(b / 8) as usize] ^= 1 << (b % 8);
}

/// BOLT 3's `derive_secret(base, bits, I)`: for each bit `B` of `I` below
/// `bits`, from the highest down, flip that bit of the value and hash it.
/// With `bits = 48` and the seed as base it is `generate_from_seed`; the
/// shachain store uses smaller `bits` to derive from a stored secret.
pub(crate) fn derive_secret(base: [u8; 32], bits: u32, index: u64) -> [u8; 32] {
    let mut p = base;
    for b in (0..bits).rev() {
        if (index >> b) & 1 == 1 {
            flip(&mut p, b);
            p = sha256::Hash::hash(&p).to_byte_array();
        }
    }
    p
}

/// The per-commitment secret with BOLT 3 *index* `I` (the spec's
/// `generate_from_seed(seed, I)`), so the Appendix D vectors apply as
/// written. Index `2^48 - 1` is the first secret a channel uses and the index
/// counts down; only the low 48 bits of `index` take part (the algorithm
/// looks at bits 47..0). Use [`commitment_secret`] to go by commitment
/// number instead.
pub fn per_commitment_secret(seed: &[u8; 32], index: u64) -> [u8; 32] {
    derive_secret(*seed, 48, index)
}

/// The BOLT 3 index `I = 2^48 - 1 - n` of commitment number `n`: the channel
/// counts commitments up from 0 and the secrets are numbered down from
/// `2^48 - 1`. `n` must not exceed [`MAX_COMMITMENT_NUMBER`]; larger values
/// wrap modulo 2^48 rather than panic.
pub const fn commitment_index(commitment_number: u64) -> u64 {
    MAX_INDEX.wrapping_sub(commitment_number) & MAX_INDEX
}

/// The per-commitment secret of commitment number `n` (0 for the first
/// commitment transaction), i.e. `generate_from_seed(seed, 2^48 - 1 - n)`.
/// This is what the channel state machine asks for: it reveals the secret of
/// commitment `n` in the `revoke_and_ack` that revokes it.
pub fn commitment_secret(seed: &[u8; 32], commitment_number: u64) -> [u8; 32] {
    per_commitment_secret(seed, commitment_index(commitment_number))
}

/// `per_commitment_point = per_commitment_secret * G`: the point sent to the
/// peer (in `open_channel`, `accept_channel`, `channel_ready`,
/// `revoke_and_ack`) from which both sides derive the keys of one commitment.
/// Takes the raw 32 bytes because a secret revealed by the peer arrives as
/// bytes and may be invalid; checking a revealed secret is
/// `per_commitment_point(secp, &secret)? == expected_point`.
pub fn per_commitment_point<C: Signing>(
    secp: &Secp256k1<C>,
    per_commitment_secret: &[u8; 32],
) -> Result<PublicKey, KeyDerivationError> {
    let secret = SecretKey::from_slice(per_commitment_secret)
        .map_err(|_| KeyDerivationError::InvalidPerCommitmentSecret)?;
    Ok(PublicKey::from_secret_key(secp, &secret))
}

/// `SHA256(a || b)` over two compressed points, as a scalar: the tweak of
/// every BOLT 3 derivation.
fn tweak(a: &PublicKey, b: &PublicKey) -> Result<Scalar, KeyDerivationError> {
    let mut engine = sha256::Hash::engine();
    engine.input(&a.serialize());
    engine.input(&b.serialize());
    let hash = sha256::Hash::from_engine(engine).to_byte_array();
    Scalar::from_be_bytes(hash).map_err(|_| KeyDerivationError::InvalidTweak)
}

/// `pubkey = basepoint + SHA256(per_commitment_point || basepoint) * G`: the
/// per-commitment key derived from a basepoint. Gives `localpubkey` (from the
/// payment basepoint), `local_htlcpubkey` / `remote_htlcpubkey` (HTLC
/// basepoints) and `local_delayedpubkey` / `remote_delayedpubkey` (delayed
/// payment basepoints), so every commitment uses fresh keys and a watcher
/// cannot link commitments. (Under `option_static_remotekey`,
/// `remotepubkey` is the remote payment basepoint itself, not derived.)
pub fn derive_public_key<C: Verification>(
    secp: &Secp256k1<C>,
    basepoint: &PublicKey,
    per_commitment_point: &PublicKey,
) -> Result<PublicKey, KeyDerivationError> {
    let t = tweak(per_commitment_point, basepoint)?;
    basepoint
        .add_exp_tweak(secp, &t)
        .map_err(|_| KeyDerivationError::InvalidTweak)
}

/// `privkey = basepoint_secret + SHA256(per_commitment_point || basepoint)`:
/// the private key of [`derive_public_key`], needed to sign with our own
/// per-commitment keys (HTLC signatures, sweeping `to_local`).
pub fn derive_private_key<C: Signing>(
    secp: &Secp256k1<C>,
    basepoint_secret: &SecretKey,
    per_commitment_point: &PublicKey,
) -> Result<SecretKey, KeyDerivationError> {
    let basepoint = PublicKey::from_secret_key(secp, basepoint_secret);
    let t = tweak(per_commitment_point, &basepoint)?;
    basepoint_secret
        .add_tweak(&t)
        .map_err(|_| KeyDerivationError::InvalidTweak)
}

/// `revocationpubkey = revocation_basepoint * SHA256(revocation_basepoint ||
/// per_commitment_point) + per_commitment_point * SHA256(per_commitment_point
/// || revocation_basepoint)`: the blinded key of a commitment's revocation
/// path. `revocation_basepoint` is the *other* side's (the one who may
/// punish), `per_commitment_point` the commitment owner's; neither side alone
/// knows the private key until the owner reveals its per-commitment secret.
pub fn derive_revocation_public_key<C: Verification>(
    secp: &Secp256k1<C>,
    revocation_basepoint: &PublicKey,
    per_commitment_point: &PublicKey,
) -> Result<PublicKey, KeyDerivationError> {
    let base_tweak = tweak(revocation_basepoint, per_commitment_point)?;
    let point_tweak = tweak(per_commitment_point, revocation_basepoint)?;
    let a = revocation_basepoint
        .mul_tweak(secp, &base_tweak)
        .map_err(|_| KeyDerivationError::InvalidTweak)?;
    let b = per_commitment_point
        .mul_tweak(secp, &point_tweak)
        .map_err(|_| KeyDerivationError::InvalidTweak)?;
    a.combine(&b).map_err(|_| KeyDerivationError::InvalidTweak)
}

/// `revocationprivkey = revocation_basepoint_secret *
/// SHA256(revocation_basepoint || per_commitment_point) +
/// per_commitment_secret * SHA256(per_commitment_point ||
/// revocation_basepoint)`: the key that spends a revoked commitment's
/// `to_local` and HTLC outputs, computable once the peer has revealed that
/// commitment's per-commitment secret (the penalty transaction's key).
pub fn derive_revocation_private_key<C: Signing>(
    secp: &Secp256k1<C>,
    revocation_basepoint_secret: &SecretKey,
    per_commitment_secret: &[u8; 32],
) -> Result<SecretKey, KeyDerivationError> {
    let commitment_secret = SecretKey::from_slice(per_commitment_secret)
        .map_err(|_| KeyDerivationError::InvalidPerCommitmentSecret)?;
    let revocation_basepoint = PublicKey::from_secret_key(secp, revocation_basepoint_secret);
    let per_commitment_point = PublicKey::from_secret_key(secp, &commitment_secret);
    let base_tweak = tweak(&revocation_basepoint, &per_commitment_point)?;
    let point_tweak = tweak(&per_commitment_point, &revocation_basepoint)?;
    let a = revocation_basepoint_secret
        .mul_tweak(&base_tweak)
        .map_err(|_| KeyDerivationError::InvalidTweak)?;
    let b = commitment_secret
        .mul_tweak(&point_tweak)
        .map_err(|_| KeyDerivationError::InvalidTweak)?;
    a.add_tweak(&Scalar::from(b))
        .map_err(|_| KeyDerivationError::InvalidTweak)
}

/// The path `m/1017'/coin'/family'/0/index` of one lnd key family; `coin` is
/// 0 on mainnet and 1 on test networks (BIP44 coin types).
pub fn key_family_path(
    network: impl Into<NetworkKind>,
    family: u32,
    index: u32,
) -> Result<DerivationPath, ChannelKeysError> {
    let coin = if network.into().is_mainnet() { 0 } else { 1 };
    let hardened = |i: u32| ChildNumber::from_hardened_idx(i);
    Ok(DerivationPath::from(vec![
        hardened(LN_PURPOSE)?,
        hardened(coin)?,
        hardened(family)?,
        ChildNumber::from_normal_idx(0)?,
        ChildNumber::from_normal_idx(index)
            .map_err(|_| ChannelKeysError::ChannelIndexOutOfRange(index))?,
    ]))
}

/// One channel's own secrets: the funding key, the four basepoint secrets
/// and the per-commitment seed. Deterministic from the node's master key and
/// a channel index ([`ChannelKeys::derive`]), so a node only needs to persist
/// the index to recover a channel's keys. Fields are public so tests (and the
/// BOLT 3 appendix vectors) can build keys from given secrets.
///
/// `Debug` shows only the public keys: the secrets never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelKeys {
    /// Secret of our key in the 2-of-2 funding output.
    pub funding_key: SecretKey,
    /// Secret of our `revocation_basepoint`: with the peer's revealed
    /// per-commitment secrets it yields the keys that punish a revoked
    /// commitment of theirs.
    pub revocation_basepoint_secret: SecretKey,
    /// Secret of our `payment_basepoint`: under static_remotekey the peer's
    /// `to_remote` output pays this key directly.
    pub payment_basepoint_secret: SecretKey,
    /// Secret of our `delayed_payment_basepoint`, from which our `to_local`
    /// keys are derived.
    pub delayed_payment_basepoint_secret: SecretKey,
    /// Secret of our `htlc_basepoint`, from which our HTLC keys are derived.
    pub htlc_basepoint_secret: SecretKey,
    /// The seed of our per-commitment secrets (`generate_from_seed`); never
    /// revealed.
    pub commitment_seed: [u8; 32],
}

impl ChannelKeys {
    /// Derives the keys of channel `channel_index` from the node's BIP32
    /// master key, at lnd's key families `m/1017'/coin'/family'/0/channel_index`
    /// (families 0 to 4 for the funding key and the basepoint secrets).
    /// The per-commitment seed is `SHA256` of the 32 private-key bytes at
    /// family 5 (lnd's revocation root): hashing keeps the seed distinct from
    /// any key that could ever be used to sign. `network` picks the coin
    /// type (0 mainnet, 1 otherwise). `channel_index` must be below 2^31.
    pub fn derive<C: Signing>(
        secp: &Secp256k1<C>,
        master: &Xpriv,
        network: impl Into<NetworkKind>,
        channel_index: u32,
    ) -> Result<ChannelKeys, ChannelKeysError> {
        let network = network.into();
        let key = |family: u32| -> Result<SecretKey, ChannelKeysError> {
            let path = key_family_path(network, family, channel_index)?;
            Ok(master.derive_priv(secp, &path)?.private_key)
        };
        let root = key(family::REVOCATION_ROOT)?;
        Ok(ChannelKeys {
            funding_key: key(family::MULTISIG)?,
            revocation_basepoint_secret: key(family::REVOCATION_BASE)?,
            payment_basepoint_secret: key(family::PAYMENT_BASE)?,
            delayed_payment_basepoint_secret: key(family::DELAY_BASE)?,
            htlc_basepoint_secret: key(family::HTLC_BASE)?,
            commitment_seed: sha256::Hash::hash(&root.secret_bytes()).to_byte_array(),
        })
    }

    /// The public keys the peer needs (sent in `open_channel` /
    /// `accept_channel`).
    pub fn public<C: Signing>(&self, secp: &Secp256k1<C>) -> ChannelPublicKeys {
        let p = |s: &SecretKey| PublicKey::from_secret_key(secp, s);
        ChannelPublicKeys {
            funding_pubkey: p(&self.funding_key),
            revocation_basepoint: p(&self.revocation_basepoint_secret),
            payment_point: p(&self.payment_basepoint_secret),
            delayed_payment_basepoint: p(&self.delayed_payment_basepoint_secret),
            htlc_basepoint: p(&self.htlc_basepoint_secret),
        }
    }

    /// Our per-commitment secret for commitment number `n` (revealed in the
    /// `revoke_and_ack` that revokes commitment `n`).
    pub fn per_commitment_secret(&self, commitment_number: u64) -> [u8; 32] {
        commitment_secret(&self.commitment_seed, commitment_number)
    }

    /// Our per-commitment point for commitment number `n` (sent ahead so the
    /// peer can build our commitment `n`).
    pub fn per_commitment_point<C: Signing>(
        &self,
        secp: &Secp256k1<C>,
        commitment_number: u64,
    ) -> Result<PublicKey, KeyDerivationError> {
        per_commitment_point(secp, &self.per_commitment_secret(commitment_number))
    }
}

impl std::fmt::Debug for ChannelKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secp = Secp256k1::signing_only();
        f.debug_struct("ChannelKeys")
            .field("public", &self.public(&secp))
            .field("secrets", &"<redacted>")
            .finish()
    }
}

/// A channel's public basepoints and funding key: exactly what BOLT 2's
/// `open_channel` / `accept_channel` carry and what the peer needs to build
/// and check our commitment transactions. Plain data, comparable, so it can
/// be stored and compared with what the peer sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelPublicKeys {
    /// Our key in the 2-of-2 funding output.
    pub funding_pubkey: PublicKey,
    /// Basepoint the peer uses to derive the revocation keys of its own
    /// commitments.
    pub revocation_basepoint: PublicKey,
    /// `payment_basepoint`; under static_remotekey the peer's `to_remote`
    /// pays it as is.
    pub payment_point: PublicKey,
    /// Basepoint of our `to_local` (delayed) keys.
    pub delayed_payment_basepoint: PublicKey,
    /// Basepoint of our HTLC keys.
    pub htlc_basepoint: PublicKey,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::Network;

    fn master(seed_byte: u8) -> Xpriv {
        Xpriv::new_master(Network::Regtest, &[seed_byte; 32]).unwrap()
    }

    #[test]
    fn channel_keys_are_deterministic() {
        let secp = Secp256k1::new();
        let m = master(7);
        let a = ChannelKeys::derive(&secp, &m, Network::Regtest, 3).unwrap();
        let b = ChannelKeys::derive(&secp, &m, Network::Regtest, 3).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.public(&secp), b.public(&secp));
        assert_eq!(
            a.per_commitment_point(&secp, 0),
            b.per_commitment_point(&secp, 0)
        );
    }

    #[test]
    fn channel_keys_differ_per_index_master_and_network() {
        let secp = Secp256k1::new();
        let m = master(7);
        let base = ChannelKeys::derive(&secp, &m, Network::Regtest, 3).unwrap();
        let others = [
            ChannelKeys::derive(&secp, &m, Network::Regtest, 4).unwrap(),
            ChannelKeys::derive(&secp, &master(8), Network::Regtest, 3).unwrap(),
            ChannelKeys::derive(&secp, &m, Network::Bitcoin, 3).unwrap(),
        ];
        for other in &others {
            assert_ne!(base.funding_key, other.funding_key);
            assert_ne!(
                base.revocation_basepoint_secret,
                other.revocation_basepoint_secret
            );
            assert_ne!(
                base.payment_basepoint_secret,
                other.payment_basepoint_secret
            );
            assert_ne!(
                base.delayed_payment_basepoint_secret,
                other.delayed_payment_basepoint_secret
            );
            assert_ne!(base.htlc_basepoint_secret, other.htlc_basepoint_secret);
            assert_ne!(base.commitment_seed, other.commitment_seed);
            assert_ne!(base.public(&secp), other.public(&secp));
        }
        // Testnets share coin type 1.
        assert_eq!(
            base,
            ChannelKeys::derive(&secp, &m, Network::Signet, 3).unwrap()
        );
    }

    #[test]
    fn channel_keys_use_the_lnd_family_paths() {
        let secp = Secp256k1::new();
        let m = master(1);
        let keys = ChannelKeys::derive(&secp, &m, Network::Regtest, 5).unwrap();
        let at = |p: &str| {
            m.derive_priv(&secp, &p.parse::<DerivationPath>().unwrap())
                .unwrap()
        };
        assert_eq!(keys.funding_key, at("m/1017'/1'/0'/0/5").private_key);
        assert_eq!(
            keys.revocation_basepoint_secret,
            at("m/1017'/1'/1'/0/5").private_key
        );
        assert_eq!(
            keys.htlc_basepoint_secret,
            at("m/1017'/1'/2'/0/5").private_key
        );
        assert_eq!(
            keys.payment_basepoint_secret,
            at("m/1017'/1'/3'/0/5").private_key
        );
        assert_eq!(
            keys.delayed_payment_basepoint_secret,
            at("m/1017'/1'/4'/0/5").private_key
        );
        let root = at("m/1017'/1'/5'/0/5").private_key.secret_bytes();
        assert_eq!(
            keys.commitment_seed,
            sha256::Hash::hash(&root).to_byte_array()
        );
        let main = ChannelKeys::derive(&secp, &m, Network::Bitcoin, 5).unwrap();
        assert_eq!(main.funding_key, at("m/1017'/0'/0'/0/5").private_key);
    }

    #[test]
    fn channel_index_must_be_non_hardened() {
        let secp = Secp256k1::new();
        let m = master(1);
        assert!(ChannelKeys::derive(&secp, &m, Network::Regtest, (1 << 31) - 1).is_ok());
        assert_eq!(
            ChannelKeys::derive(&secp, &m, Network::Regtest, 1 << 31),
            Err(ChannelKeysError::ChannelIndexOutOfRange(1 << 31))
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let secp = Secp256k1::new();
        let keys = ChannelKeys::derive(&secp, &master(2), Network::Regtest, 0).unwrap();
        let shown = format!("{keys:?}");
        assert!(shown.contains("redacted"));
        let seed_hex: String = keys
            .commitment_seed
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!shown.contains(&seed_hex));
        assert!(!shown.contains(&keys.funding_key.display_secret().to_string()));
    }

    #[test]
    fn commitment_numbers_map_to_descending_indices() {
        assert_eq!(commitment_index(0), MAX_INDEX);
        assert_eq!(commitment_index(1), MAX_INDEX - 1);
        assert_eq!(commitment_index(MAX_COMMITMENT_NUMBER), 0);
        let seed = [9u8; 32];
        assert_eq!(
            commitment_secret(&seed, 0),
            per_commitment_secret(&seed, MAX_INDEX)
        );
        assert_eq!(
            commitment_secret(&seed, 42),
            per_commitment_secret(&seed, MAX_INDEX - 42)
        );
        // Index 0 flips nothing: the secret is the seed itself.
        assert_eq!(per_commitment_secret(&seed, 0), seed);
    }

    #[test]
    fn invalid_per_commitment_secrets_are_errors() {
        let secp = Secp256k1::new();
        let sk = SecretKey::from_slice(&[1; 32]).unwrap();
        for bad in [[0u8; 32], [0xff; 32]] {
            assert_eq!(
                per_commitment_point(&secp, &bad),
                Err(KeyDerivationError::InvalidPerCommitmentSecret)
            );
            assert_eq!(
                derive_revocation_private_key(&secp, &sk, &bad),
                Err(KeyDerivationError::InvalidPerCommitmentSecret)
            );
        }
    }

    #[test]
    fn private_keys_match_public_derivations() {
        let secp = Secp256k1::new();
        let keys = ChannelKeys::derive(&secp, &master(3), Network::Regtest, 0).unwrap();
        let public = keys.public(&secp);
        let secret = keys.per_commitment_secret(17);
        let point = keys.per_commitment_point(&secp, 17).unwrap();
        let sk = derive_private_key(&secp, &keys.htlc_basepoint_secret, &point).unwrap();
        let pk = derive_public_key(&secp, &public.htlc_basepoint, &point).unwrap();
        assert_eq!(PublicKey::from_secret_key(&secp, &sk), pk);
        let rsk = derive_revocation_private_key(&secp, &keys.revocation_basepoint_secret, &secret)
            .unwrap();
        let rpk =
            derive_revocation_public_key(&secp, &public.revocation_basepoint, &point).unwrap();
        assert_eq!(PublicKey::from_secret_key(&secp, &rsk), rpk);
    }
}
