//! Identifiers: channel ids, short channel ids and node ids.

use std::fmt;
use std::str::FromStr;

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::PublicKey;
use bitcoin::Txid;

/// A 32-byte channel id (BOLT 2): the funding txid XOR the output index, or a
/// temporary id before funding. All zeros means "every channel" in `error`.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize,
)]
pub struct ChannelId(pub [u8; 32]);

impl ChannelId {
    /// The all-zero id that `error` and `warning` use to mean every channel.
    pub const ALL: ChannelId = ChannelId([0; 32]);

    /// True for the all-zero id.
    pub fn is_all(&self) -> bool {
        *self == Self::ALL
    }
}

impl ChannelId {
    /// BOLT 2: the funding txid (internal byte order) with its last two
    /// bytes XORed with the big-endian output index.
    pub fn from_funding(txid: &Txid, output_index: u16) -> ChannelId {
        let mut id = txid.to_byte_array();
        let index = output_index.to_be_bytes();
        id[30] ^= index[0];
        id[31] ^= index[1];
        ChannelId(id)
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChannelId({self})")
    }
}

/// A short channel id (BOLT 7): the funding output's position on chain, as
/// 3 bytes of block height, 3 bytes of transaction index and 2 bytes of
/// output index. Its text form is `BLOCKxTXxOUTPUT`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ShortChannelId(pub u64);

impl ShortChannelId {
    /// Builds the id from its parts, or `None` if block or tx index do not fit
    /// in 24 bits.
    pub fn new(block: u32, tx_index: u32, output_index: u16) -> Option<Self> {
        if block > 0xff_ffff || tx_index > 0xff_ffff {
            return None;
        }
        Some(Self(
            (u64::from(block) << 40) | (u64::from(tx_index) << 16) | u64::from(output_index),
        ))
    }

    /// Height of the block holding the funding transaction.
    pub fn block(&self) -> u32 {
        (self.0 >> 40) as u32
    }

    /// Index of the funding transaction within its block.
    pub fn tx_index(&self) -> u32 {
        ((self.0 >> 16) & 0xff_ffff) as u32
    }

    /// Index of the funding output within its transaction.
    pub fn output_index(&self) -> u16 {
        (self.0 & 0xffff) as u16
    }
}

impl fmt::Display for ShortChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}x{}x{}",
            self.block(),
            self.tx_index(),
            self.output_index()
        )
    }
}

/// Why a text short channel id could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid short channel id {0:?}: expected BLOCKxTXxOUTPUT")]
pub struct ParseShortChannelIdError(String);

impl FromStr for ShortChannelId {
    type Err = ParseShortChannelIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseShortChannelIdError(s.to_owned());
        let mut parts = s.split('x');
        let mut next = || parts.next().ok_or_else(err);
        let (block, tx, out) = (next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(err());
        }
        let block = block.parse().map_err(|_| err())?;
        let tx = tx.parse().map_err(|_| err())?;
        let out = out.parse().map_err(|_| err())?;
        Self::new(block, tx, out).ok_or_else(err)
    }
}

/// A node's identity: its secp256k1 public key, shown as 66 hex digits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct NodeId(pub PublicKey);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for NodeId {
    type Err = bitcoin::secp256k1::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PublicKey::from_str(s).map(NodeId)
    }
}

impl From<PublicKey> for NodeId {
    fn from(key: PublicKey) -> Self {
        NodeId(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_channel_id_text_form_round_trips() {
        let scid = ShortChannelId::new(539_268, 845, 1).unwrap();
        assert_eq!(scid.to_string(), "539268x845x1");
        assert_eq!("539268x845x1".parse::<ShortChannelId>(), Ok(scid));
        // BOLT 1 Appendix B: 0x0000000000000226 is 0x0x550.
        assert_eq!(ShortChannelId(0x226).to_string(), "0x0x550");
    }

    #[test]
    fn short_channel_id_rejects_bad_text() {
        for bad in [
            "",
            "1x2",
            "1x2x3x4",
            "16777216x0x0",
            "0x16777216x0",
            "0x0x65536",
            "axbxc",
            "-1x0x0",
        ] {
            assert!(bad.parse::<ShortChannelId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn node_id_parses_and_prints_hex() {
        let hex = "028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7";
        let id: NodeId = hex.parse().unwrap();
        assert_eq!(id.to_string(), hex);
        assert!("02zz".parse::<NodeId>().is_err());
    }
}
