//! Amount newtypes. Lightning moves millisatoshis while Bitcoin moves
//! satoshis; keeping them as distinct types makes mixing them a compile error,
//! and checked arithmetic makes an overflow a value the caller must handle
//! instead of a silent wrap.

use std::fmt;

/// 21 million BTC in satoshis: BOLT 1's upper bound for satoshi amounts.
pub const MAX_MONEY_SAT: u64 = 21_000_000 * 100_000_000;

/// An amount in millisatoshis (1/1000 of a satoshi).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Msat(pub u64);

/// An amount in satoshis.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Sat(pub u64);

macro_rules! checked_ops {
    ($t:ident) => {
        impl $t {
            /// Zero.
            pub const ZERO: $t = $t(0);

            /// `self + rhs`, or `None` on overflow.
            pub fn checked_add(self, rhs: $t) -> Option<$t> {
                self.0.checked_add(rhs.0).map($t)
            }

            /// `self - rhs`, or `None` if `rhs` is larger.
            pub fn checked_sub(self, rhs: $t) -> Option<$t> {
                self.0.checked_sub(rhs.0).map($t)
            }

            /// `self * n`, or `None` on overflow.
            pub fn checked_mul(self, n: u64) -> Option<$t> {
                self.0.checked_mul(n).map($t)
            }

            /// `self - rhs`, or zero if `rhs` is larger.
            pub fn saturating_sub(self, rhs: $t) -> $t {
                $t(self.0.saturating_sub(rhs.0))
            }
        }
    };
}
checked_ops!(Msat);
checked_ops!(Sat);

impl Msat {
    /// 21 million BTC in millisatoshis: BOLT 1's upper bound for msat amounts.
    pub const MAX_MONEY: Msat = Msat(MAX_MONEY_SAT * 1000);

    /// The whole satoshis in this amount, rounding down (what an on-chain
    /// output can carry; the rest is trimmed).
    pub fn to_sat_floor(self) -> Sat {
        Sat(self.0 / 1000)
    }

    /// True when the amount is within the 21 million BTC bound.
    pub fn is_valid_money(self) -> bool {
        self <= Self::MAX_MONEY
    }
}

impl Sat {
    /// 21 million BTC in satoshis.
    pub const MAX_MONEY: Sat = Sat(MAX_MONEY_SAT);

    /// The same amount in millisatoshis, or `None` on overflow.
    pub fn to_msat(self) -> Option<Msat> {
        self.checked_mul(1000).map(|s| Msat(s.0))
    }

    /// True when the amount is within the 21 million BTC bound.
    pub fn is_valid_money(self) -> bool {
        self <= Self::MAX_MONEY
    }
}

impl fmt::Display for Msat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} msat", self.0)
    }
}

impl fmt::Display for Sat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} sat", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_arithmetic_reports_overflow_and_underflow() {
        assert_eq!(Msat(u64::MAX).checked_add(Msat(1)), None);
        assert_eq!(Sat(1).checked_sub(Sat(2)), None);
        assert_eq!(Sat(5).checked_sub(Sat(2)), Some(Sat(3)));
        assert_eq!(Sat(u64::MAX / 999).to_msat(), None);
        assert_eq!(Sat(7).to_msat(), Some(Msat(7000)));
        assert_eq!(Msat(7999).to_sat_floor(), Sat(7));
        assert_eq!(Sat(3).saturating_sub(Sat(4)), Sat::ZERO);
    }

    #[test]
    fn money_bounds_match_bolt1() {
        assert_eq!(Sat::MAX_MONEY.0, 0x0007_75f0_5a07_4000);
        assert_eq!(Msat::MAX_MONEY.0, 0x1d24_b2df_ac52_0000);
        assert!(Msat::MAX_MONEY.is_valid_money());
        assert!(!Msat(Msat::MAX_MONEY.0 + 1).is_valid_money());
        assert!(!Sat(Sat::MAX_MONEY.0 + 1).is_valid_money());
    }
}
