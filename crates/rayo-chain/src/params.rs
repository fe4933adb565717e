//! Regtest consensus parameters, as Bitcoin Core's `CRegTestParams` sets them:
//! every soft fork (BIP34/65/66, CSV, segwit, taproot) active from the start,
//! no difficulty retargeting, and a subsidy that halves every 150 blocks.

use bitcoin::Amount;

/// Blocks a coinbase output must wait before it can be spent.
pub const COINBASE_MATURITY: u32 = 100;
/// Blocks between subsidy halvings on regtest.
pub const SUBSIDY_HALVING_INTERVAL: u32 = 150;
/// The consensus block weight limit (BIP141).
pub const MAX_BLOCK_WEIGHT: u64 = 4_000_000;
/// The consensus signature-operation cost limit per block (BIP141).
pub const MAX_BLOCK_SIGOPS_COST: u64 = 80_000;
/// Legacy sigops count four times in the sigop cost.
pub const WITNESS_SCALE_FACTOR: u64 = 4;
/// Regtest's fixed proof-of-work target (`powLimit`), never retargeted.
pub const REGTEST_BITS: u32 = 0x207f_ffff;
/// A block's time may be at most this far ahead of the node's clock.
pub const MAX_FUTURE_BLOCK_TIME: u32 = 2 * 60 * 60;
/// Blocks whose median time gates the next block's time (BIP113).
pub const MEDIAN_TIME_SPAN: usize = 11;
/// Smallest non-witness size of a transaction (CVE-2017-12842 guard).
pub const MIN_STANDARD_TX_NONWITNESS_SIZE: usize = 65;

/// The block subsidy at `height`: 50 BTC halved every 150 blocks, zero after
/// 64 halvings.
pub fn block_subsidy(height: u32) -> Amount {
    let halvings = height / SUBSIDY_HALVING_INTERVAL;
    if halvings >= 64 {
        return Amount::ZERO;
    }
    Amount::from_sat((50 * 100_000_000) >> halvings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsidy_halves_every_150_blocks() {
        assert_eq!(block_subsidy(0), Amount::from_btc(50.0).unwrap());
        assert_eq!(block_subsidy(149), Amount::from_btc(50.0).unwrap());
        assert_eq!(block_subsidy(150), Amount::from_btc(25.0).unwrap());
        assert_eq!(block_subsidy(300), Amount::from_btc(12.5).unwrap());
        assert_eq!(block_subsidy(150 * 64), Amount::ZERO);
    }
}
