//! Key derivation: the wallet's three BIP44-style accounts and the node's
//! own keys, all from one BIP32 master key.
//!
//! | what | path |
//! |---|---|
//! | p2wkh (BIP84) | `m/84'/coin'/0'/{0,1}/i` |
//! | np2wkh (BIP49) | `m/49'/coin'/0'/{0,1}/i` |
//! | p2tr (BIP86, key path only) | `m/86'/coin'/0'/{0,1}/i` |
//! | node identity key | `m/1017'/coin'/6'/0/0` |
//!
//! `coin` is 0 on mainnet and 1 on every test network (BIP44's coin types);
//! keychain 0 is external (receive) and 1 is internal (change).

use std::fmt;
use std::str::FromStr;

use bitcoin::bip32::{self, ChildNumber, DerivationPath, Xpriv, Xpub};
use bitcoin::key::{CompressedPublicKey, Secp256k1, Verification};
use bitcoin::secp256k1::{self, SecretKey};
use bitcoin::{Address, Network, NetworkKind, ScriptBuf};
use serde::{Deserialize, Serialize};

/// BIP43 purpose of lnd's key families; the node's own keys live under it.
pub const LN_PURPOSE: u32 = 1017;
/// lnd's key family of the node identity key.
pub const NODE_KEY_FAMILY: u32 = 6;
/// The highest non-hardened child index (BIP32).
pub const MAX_INDEX: u32 = (1 << 31) - 1;

/// The kinds of address the wallet hands out, named as `lncli newaddress`
/// names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum AddressType {
    /// Native segwit v0 pay-to-witness-pubkey-hash (BIP84), `bc1q...`.
    P2wkh,
    /// P2WPKH nested in P2SH (BIP49), `3...` / `2...`.
    Np2wkh,
    /// Taproot, key path only with the BIP86 tweak, `bc1p...`.
    P2tr,
}

impl AddressType {
    /// All kinds, in a fixed order.
    pub const ALL: [AddressType; 3] = [AddressType::P2wkh, AddressType::Np2wkh, AddressType::P2tr];

    /// The BIP43 purpose of its account: 84, 49 or 86.
    pub fn purpose(self) -> u32 {
        match self {
            AddressType::P2wkh => 84,
            AddressType::Np2wkh => 49,
            AddressType::P2tr => 86,
        }
    }

    /// The lncli name: "p2wkh", "np2wkh" or "p2tr".
    pub fn as_str(self) -> &'static str {
        match self {
            AddressType::P2wkh => "p2wkh",
            AddressType::Np2wkh => "np2wkh",
            AddressType::P2tr => "p2tr",
        }
    }

    pub(crate) fn slot(self) -> usize {
        match self {
            AddressType::P2wkh => 0,
            AddressType::Np2wkh => 1,
            AddressType::P2tr => 2,
        }
    }
}

impl fmt::Display for AddressType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no address type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown address type {0:?}: expected p2wkh, np2wkh or p2tr")]
pub struct ParseAddressTypeError(pub String);

impl FromStr for AddressType {
    type Err = ParseAddressTypeError;

    /// Accepts lncli's names ("p2wkh", "np2wkh", "p2tr") and lnd's REST/gRPC
    /// enum names and numbers (`WITNESS_PUBKEY_HASH`/0,
    /// `NESTED_PUBKEY_HASH`/1, `TAPROOT_PUBKEY`/4), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "p2wkh" | "witness_pubkey_hash" | "0" => Ok(AddressType::P2wkh),
            "np2wkh" | "nested_pubkey_hash" | "1" => Ok(AddressType::Np2wkh),
            "p2tr" | "taproot_pubkey" | "4" => Ok(AddressType::P2tr),
            _ => Err(ParseAddressTypeError(s.to_owned())),
        }
    }
}

impl From<AddressType> for String {
    fn from(kind: AddressType) -> String {
        kind.as_str().to_owned()
    }
}

impl TryFrom<String> for AddressType {
    type Error = ParseAddressTypeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// BIP44 coin type: 0 on mainnet, 1 on every test network.
pub fn coin_type(network: impl Into<NetworkKind>) -> u32 {
    match network.into() {
        NetworkKind::Main => 0,
        NetworkKind::Test => 1,
    }
}

/// A hardened child of one of the small constant indexes used here.
fn hardened(index: u32) -> ChildNumber {
    ChildNumber::Hardened {
        index: index & MAX_INDEX,
    }
}

fn normal(index: u32) -> Result<ChildNumber, bip32::Error> {
    ChildNumber::from_normal_idx(index)
}

/// The account path of `kind`: `m/purpose'/coin'/0'`.
pub fn account_path(kind: AddressType, network: impl Into<NetworkKind>) -> DerivationPath {
    DerivationPath::from(vec![
        hardened(kind.purpose()),
        hardened(coin_type(network)),
        hardened(0),
    ])
}

/// The full path of an address: `m/purpose'/coin'/0'/change/index`.
pub fn address_path(
    kind: AddressType,
    network: impl Into<NetworkKind>,
    change: bool,
    index: u32,
) -> Result<DerivationPath, bip32::Error> {
    Ok(account_path(kind, network)
        .child(normal(u32::from(change))?)
        .child(normal(index)?))
}

/// lnd's key-family path `m/1017'/coin'/family'/0/index`, under which the
/// node identity key and (later) channel keys are derived.
pub fn ln_key_path(
    network: impl Into<NetworkKind>,
    family: u32,
    index: u32,
) -> Result<DerivationPath, bip32::Error> {
    Ok(DerivationPath::from(vec![
        hardened(LN_PURPOSE),
        hardened(coin_type(network)),
        ChildNumber::from_hardened_idx(family)?,
        normal(0)?,
        normal(index)?,
    ]))
}

/// The node identity secret key, at `m/1017'/coin'/6'/0/0`: lnd's path for
/// its node key (key family 6, index 0), with the coin type of the master
/// key's network. The path matches lnd's, but lnd derives from an aezeed
/// seed, not BIP39, so the same words do not give an lnd node's key.
pub fn node_secret(master: &Xpriv) -> Result<SecretKey, bip32::Error> {
    let secp = Secp256k1::signing_only();
    let path = ln_key_path(master.network, NODE_KEY_FAMILY, 0)?;
    Ok(master.derive_priv(&secp, &path)?.private_key)
}

/// One address type's account: its two keychains (external, internal).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) kind: AddressType,
    /// `[external, internal]` keychain private keys `m/purpose'/coin'/0'/c`.
    chains_priv: [Xpriv; 2],
    /// Their public counterparts, for cheap script derivation.
    chains_pub: [Xpub; 2],
}

impl Account {
    pub(crate) fn new<C: secp256k1::Signing>(
        secp: &Secp256k1<C>,
        master: &Xpriv,
        kind: AddressType,
    ) -> Result<Account, bip32::Error> {
        let account = master.derive_priv(secp, &account_path(kind, master.network))?;
        let external = account.derive_priv(secp, &[normal(0)?])?;
        let internal = account.derive_priv(secp, &[normal(1)?])?;
        Ok(Account {
            kind,
            chains_pub: [
                Xpub::from_priv(secp, &external),
                Xpub::from_priv(secp, &internal),
            ],
            chains_priv: [external, internal],
        })
    }

    /// The public key at `change/index`.
    pub(crate) fn public_key<C: Verification>(
        &self,
        secp: &Secp256k1<C>,
        change: bool,
        index: u32,
    ) -> Result<secp256k1::PublicKey, bip32::Error> {
        let xpub = self.chains_pub[usize::from(change)].derive_pub(secp, &[normal(index)?])?;
        Ok(xpub.public_key)
    }

    /// The secret key at `change/index`.
    pub(crate) fn secret_key<C: secp256k1::Signing>(
        &self,
        secp: &Secp256k1<C>,
        change: bool,
        index: u32,
    ) -> Result<SecretKey, bip32::Error> {
        let xpriv = self.chains_priv[usize::from(change)].derive_priv(secp, &[normal(index)?])?;
        Ok(xpriv.private_key)
    }
}

/// The address (and so the script) of `kind` for a public key.
pub fn address_for<C: Verification>(
    secp: &Secp256k1<C>,
    kind: AddressType,
    public_key: secp256k1::PublicKey,
    network: Network,
) -> Address {
    let compressed = CompressedPublicKey(public_key);
    match kind {
        AddressType::P2wkh => Address::p2wpkh(&compressed, network),
        AddressType::Np2wkh => Address::p2shwpkh(&compressed, network),
        AddressType::P2tr => Address::p2tr(secp, public_key.x_only_public_key().0, None, network),
    }
}

/// The P2WPKH script that an np2wkh output's script_sig pushes (its redeem
/// script), or that a p2wkh output is.
pub(crate) fn p2wpkh_script(public_key: secp256k1::PublicKey) -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&CompressedPublicKey(public_key).wpubkey_hash())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;
    use bitcoin::hex::DisplayHex;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    fn master(network: Network) -> Xpriv {
        Seed::from_mnemonic(ABANDON, "")
            .unwrap()
            .master_key(network)
            .unwrap()
    }

    fn address(network: Network, kind: AddressType, change: bool, index: u32) -> Address {
        let secp = Secp256k1::new();
        let account = Account::new(&secp, &master(network), kind).unwrap();
        let pk = account.public_key(&secp, change, index).unwrap();
        // The private side derives the same key.
        let sk = account.secret_key(&secp, change, index).unwrap();
        assert_eq!(secp256k1::PublicKey::from_secret_key(&secp, &sk), pk);
        address_for(&secp, kind, pk, network)
    }

    /// BIP84 test vectors (bip-0084.mediawiki).
    #[test]
    fn bip84_vectors() {
        let secp = Secp256k1::new();
        let account = Account::new(&secp, &master(Network::Bitcoin), AddressType::P2wkh).unwrap();
        assert_eq!(
            account.public_key(&secp, false, 0).unwrap().to_string(),
            "0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c"
        );
        assert_eq!(
            address(Network::Bitcoin, AddressType::P2wkh, false, 0).to_string(),
            "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
        );
        assert_eq!(
            address(Network::Bitcoin, AddressType::P2wkh, false, 1).to_string(),
            "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
        );
        assert_eq!(
            address(Network::Bitcoin, AddressType::P2wkh, true, 0).to_string(),
            "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"
        );
        // The first receive key's WIF, as published.
        let sk = account.secret_key(&secp, false, 0).unwrap();
        let wif = bitcoin::PrivateKey::new(sk, Network::Bitcoin).to_wif();
        assert_eq!(wif, "KyZpNDKnfs94vbrwhJneDi77V6jF64PWPF8x5cdJb8ifgg2DUc9d");
    }

    /// BIP49 test vectors (bip-0049.mediawiki), which are for testnet
    /// (coin type 1).
    #[test]
    fn bip49_vectors() {
        let secp = Secp256k1::new();
        let account = Account::new(&secp, &master(Network::Testnet), AddressType::Np2wkh).unwrap();
        let sk = account.secret_key(&secp, false, 0).unwrap();
        assert_eq!(
            sk.secret_bytes().to_lower_hex_string(),
            "c9bdb49cfbaedca21c4b1f3a7803c34636b1d7dc55a717132443fc3f4c5867e8"
        );
        let pk = account.public_key(&secp, false, 0).unwrap();
        assert_eq!(
            pk.to_string(),
            "03a1af804ac108a8a51782198c2d034b28bf90c8803f5a53f76276fa69a4eae77f"
        );
        assert_eq!(
            p2wpkh_script(pk).as_bytes().to_lower_hex_string(),
            "001438971f73930f6c141d977ac4fd4a727c854935b3"
        );
        assert_eq!(
            address(Network::Testnet, AddressType::Np2wkh, false, 0).to_string(),
            "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2"
        );
    }

    /// BIP86 test vectors (bip-0086.mediawiki).
    #[test]
    fn bip86_vectors() {
        let secp = Secp256k1::new();
        let account = Account::new(&secp, &master(Network::Bitcoin), AddressType::P2tr).unwrap();
        let internal = account
            .public_key(&secp, false, 0)
            .unwrap()
            .x_only_public_key()
            .0;
        assert_eq!(
            internal.to_string(),
            "cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115"
        );
        let first = address(Network::Bitcoin, AddressType::P2tr, false, 0);
        assert_eq!(
            first.script_pubkey().as_bytes().to_lower_hex_string(),
            "5120a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c"
        );
        assert_eq!(
            first.to_string(),
            "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"
        );
        assert_eq!(
            address(Network::Bitcoin, AddressType::P2tr, false, 1).to_string(),
            "bc1p4qhjn9zdvkux4e44uhx8tc55attvtyu358kutcqkudyccelu0was9fqzwh"
        );
        assert_eq!(
            address(Network::Bitcoin, AddressType::P2tr, true, 0).to_string(),
            "bc1p3qkhfews2uk44qtvauqyr2ttdsw7svhkl9nkm9s9c3x4ax5h60wqwruhk7"
        );
    }

    #[test]
    fn paths_and_coin_types() {
        assert_eq!(
            address_path(AddressType::P2tr, Network::Bitcoin, true, 5)
                .unwrap()
                .to_string(),
            "86'/0'/0'/1/5"
        );
        assert_eq!(
            address_path(AddressType::Np2wkh, Network::Regtest, false, 0)
                .unwrap()
                .to_string(),
            "49'/1'/0'/0/0"
        );
        assert_eq!(
            ln_key_path(Network::Signet, NODE_KEY_FAMILY, 0)
                .unwrap()
                .to_string(),
            "1017'/1'/6'/0/0"
        );
        assert!(address_path(AddressType::P2wkh, Network::Bitcoin, false, 1 << 31).is_err());
    }

    #[test]
    fn node_secret_is_at_the_documented_path() {
        let secp = Secp256k1::new();
        for network in [Network::Bitcoin, Network::Regtest] {
            let master = master(network);
            let path: DerivationPath = if network == Network::Bitcoin {
                "m/1017'/0'/6'/0/0".parse().unwrap()
            } else {
                "m/1017'/1'/6'/0/0".parse().unwrap()
            };
            let expected = master.derive_priv(&secp, &path).unwrap().private_key;
            assert_eq!(node_secret(&master).unwrap(), expected);
        }
        // Mainnet and test networks give different node keys.
        assert_ne!(
            node_secret(&master(Network::Bitcoin)).unwrap(),
            node_secret(&master(Network::Regtest)).unwrap()
        );
    }

    #[test]
    fn address_type_names() {
        for kind in AddressType::ALL {
            assert_eq!(kind.to_string().parse::<AddressType>().unwrap(), kind);
        }
        assert_eq!(
            "np2wkh".parse::<AddressType>().unwrap(),
            AddressType::Np2wkh
        );
        assert_eq!(
            " P2WKH ".parse::<AddressType>().unwrap(),
            AddressType::P2wkh
        );
        assert_eq!(
            "WITNESS_PUBKEY_HASH".parse::<AddressType>().unwrap(),
            AddressType::P2wkh
        );
        assert_eq!(
            "NESTED_PUBKEY_HASH".parse::<AddressType>().unwrap(),
            AddressType::Np2wkh
        );
        assert_eq!(
            "TAPROOT_PUBKEY".parse::<AddressType>().unwrap(),
            AddressType::P2tr
        );
        assert_eq!("4".parse::<AddressType>().unwrap(), AddressType::P2tr);
        let err = "p2pkh".parse::<AddressType>().unwrap_err();
        assert!(err.to_string().contains("p2pkh"));
        assert!("".parse::<AddressType>().is_err());
        assert_eq!(
            serde_json::to_string(&AddressType::Np2wkh).unwrap(),
            "\"np2wkh\""
        );
        assert_eq!(
            serde_json::from_str::<AddressType>("\"p2tr\"").unwrap(),
            AddressType::P2tr
        );
        assert!(serde_json::from_str::<AddressType>("\"p2sh\"").is_err());
    }
}
