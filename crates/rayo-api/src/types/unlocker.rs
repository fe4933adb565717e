//! The wallet unlocker service: lnd's `WalletUnlocker`, served while the
//! node waits for the password that decrypts its seed (`rayo create`,
//! `rayo unlock`).

use serde::{Deserialize, Serialize};

use crate::encoding::bytes_base64;

/// `GET /v1/genseed`: a fresh seed for a new wallet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenSeedResponse {
    /// The 24 words to write down.
    pub cipher_seed_mnemonic: Vec<String>,
    /// lnd's encrypted aezeed form; Rayo's seeds are BIP39 words, so empty.
    #[serde(with = "bytes_base64")]
    pub enciphered_seed: Vec<u8>,
}

/// `POST /v1/initwallet`: creates the wallet from `cipher_seed_mnemonic`,
/// encrypted at rest with `wallet_password`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InitWalletRequest {
    /// The password that encrypts the seed at rest (at least 8 bytes).
    #[serde(with = "bytes_base64")]
    pub wallet_password: Vec<u8>,
    /// The 24 words (from `genseed`, or a backup being restored).
    pub cipher_seed_mnemonic: Vec<String>,
    /// An optional BIP39 passphrase for the words ("aezeed passphrase" in
    /// lnd); empty for none.
    #[serde(with = "bytes_base64")]
    pub aezeed_passphrase: Vec<u8>,
}

/// `POST /v1/initwallet` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InitWalletResponse {
    /// lnd returns the admin macaroon here; Rayo's access token is a file
    /// beside the database, so empty.
    #[serde(with = "bytes_base64")]
    pub admin_macaroon: Vec<u8>,
}

/// `POST /v1/unlockwallet`: decrypts the seed with `wallet_password`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnlockWalletRequest {
    /// The password given at `create`.
    #[serde(with = "bytes_base64")]
    pub wallet_password: Vec<u8>,
}

/// `POST /v1/unlockwallet` answer (empty, as lnd's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnlockWalletResponse {}
