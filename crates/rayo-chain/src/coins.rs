//! Unspent outputs as the chain tracks them: the output, the height of the
//! block that created it, and whether it came from a coinbase (which must
//! mature before it is spent).

use bitcoin::consensus::{Decodable, Encodable};
use bitcoin::TxOut;

/// An unspent transaction output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    /// The output itself.
    pub output: TxOut,
    /// Height of the block that created it; for a mempool output, the height
    /// the next block will have.
    pub height: u32,
    /// Created by a coinbase transaction.
    pub is_coinbase: bool,
}

impl Coin {
    /// Appends a compact binary form, used for undo data and the UTXO table.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        self.output
            .consensus_encode(out)
            .expect("writing to a Vec cannot fail");
        out.extend_from_slice(&self.height.to_le_bytes());
        out.push(u8::from(self.is_coinbase));
    }

    /// Reads the form written by [`Coin::encode_into`].
    pub fn decode_from(
        mut bytes: &[u8],
    ) -> Result<(Coin, &[u8]), bitcoin::consensus::encode::Error> {
        let output = TxOut::consensus_decode(&mut bytes)?;
        let tail: [u8; 5] = bytes.get(..5).and_then(|b| b.try_into().ok()).ok_or(
            bitcoin::consensus::encode::Error::ParseFailed("truncated coin"),
        )?;
        let coin = Coin {
            output,
            height: u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]),
            is_coinbase: tail[4] != 0,
        };
        Ok((coin, &bytes[5..]))
    }
}

/// Encodes a list of coins (a block's undo data).
pub fn encode_coins(coins: &[Coin]) -> Vec<u8> {
    let mut out = Vec::with_capacity(coins.len() * 40);
    for coin in coins {
        coin.encode_into(&mut out);
    }
    out
}

/// Decodes a list written by [`encode_coins`].
pub fn decode_coins(mut bytes: &[u8]) -> Result<Vec<Coin>, bitcoin::consensus::encode::Error> {
    let mut coins = Vec::new();
    while !bytes.is_empty() {
        let (coin, rest) = Coin::decode_from(bytes)?;
        coins.push(coin);
        bytes = rest;
    }
    Ok(coins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{Amount, ScriptBuf};

    #[test]
    fn coins_round_trip() {
        let coins = vec![
            Coin {
                output: TxOut {
                    value: Amount::from_sat(5),
                    script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
                },
                height: 7,
                is_coinbase: true,
            },
            Coin {
                output: TxOut {
                    value: Amount::from_sat(u64::MAX >> 1),
                    script_pubkey: ScriptBuf::new(),
                },
                height: u32::MAX,
                is_coinbase: false,
            },
        ];
        assert_eq!(decode_coins(&encode_coins(&coins)).unwrap(), coins);
        assert!(decode_coins(&encode_coins(&coins)[..10]).is_err());
    }
}
