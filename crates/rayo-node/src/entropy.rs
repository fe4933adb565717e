//! The node's only sources of randomness and wall-clock time. The core
//! crates take both as arguments; the I/O edge draws them here, in one
//! place, so a reader sees every use.

use bitcoin::secp256k1::rand::{rngs::OsRng, RngCore};

/// The operating system's generator failed.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random generator failed: {0}")]
pub struct EntropyError(String);

/// 32 bytes from the operating system's generator.
pub fn random_32() -> Result<[u8; 32], EntropyError> {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| EntropyError(e.to_string()))?;
    Ok(bytes)
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
