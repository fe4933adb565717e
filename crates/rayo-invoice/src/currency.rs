//! The human-readable part: `ln`, the currency prefix and the amount.

use std::fmt;

use bitcoin::Network;
use rayo_wire::amount::Msat;

use crate::error::InvoiceError;

/// The chain an invoice is payable on, named by its BOLT 11 prefix.
///
/// A payer must refuse an invoice for another chain, so the prefix is part of
/// what a decoded invoice exposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    /// Bitcoin mainnet, `lnbc`.
    Bitcoin,
    /// Bitcoin testnet (testnet3 and testnet4 share it), `lntb`.
    Testnet,
    /// Bitcoin signet, `lntbs`.
    Signet,
    /// Bitcoin regtest, `lnbcrt`.
    Regtest,
    /// btcd's simnet, `lnsb`: not a [`bitcoin::Network`], but lnd tutorials
    /// use it.
    Simnet,
}

impl Currency {
    /// Every currency, longest prefix first (the order prefixes are matched
    /// in: `bcrt` before `bc`, `tbs` before `tb`).
    const MATCH_ORDER: [Currency; 5] = [
        Currency::Regtest,
        Currency::Signet,
        Currency::Bitcoin,
        Currency::Testnet,
        Currency::Simnet,
    ];

    /// The BIP 173 currency prefix that follows `ln`.
    pub fn prefix(self) -> &'static str {
        match self {
            Currency::Bitcoin => "bc",
            Currency::Testnet => "tb",
            Currency::Signet => "tbs",
            Currency::Regtest => "bcrt",
            Currency::Simnet => "sb",
        }
    }

    /// The matching `bitcoin` network, or `None` for simnet (which `bitcoin`
    /// does not know). Testnet maps to testnet3.
    pub fn network(self) -> Option<Network> {
        match self {
            Currency::Bitcoin => Some(Network::Bitcoin),
            Currency::Testnet => Some(Network::Testnet),
            Currency::Signet => Some(Network::Signet),
            Currency::Regtest => Some(Network::Regtest),
            Currency::Simnet => None,
        }
    }
}

impl From<Network> for Currency {
    /// The currency for invoices on `network` (testnet4 shares `lntb`).
    fn from(network: Network) -> Currency {
        match network {
            Network::Bitcoin => Currency::Bitcoin,
            Network::Testnet | Network::Testnet4 => Currency::Testnet,
            Network::Signet => Currency::Signet,
            Network::Regtest => Currency::Regtest,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// Millisatoshis per bitcoin, the unit of an amount with no multiplier.
const MSAT_PER_BTC: u128 = 100_000_000_000;

/// Multipliers from largest to smallest, as msat per unit times 10 (so that
/// pico, a tenth of a millisatoshi, is an integer).
const MULTIPLIERS: [(char, u128); 4] = [
    ('m', MSAT_PER_BTC / 1_000 * 10),
    ('u', MSAT_PER_BTC / 1_000_000 * 10),
    ('n', MSAT_PER_BTC / 1_000_000_000 * 10),
    ('p', 1),
];

/// Longest amount accepted, in digits: u64 msat written in pico-bitcoin has
/// at most 21, so anything longer is too large.
const MAX_AMOUNT_DIGITS: usize = 21;

/// Parses a lowercase human-readable part into currency and amount.
pub(crate) fn parse_hrp(hrp: &str) -> Result<(Currency, Option<Msat>), InvoiceError> {
    let unknown = || InvoiceError::UnknownCurrency(hrp.chars().take(32).collect());
    let rest = hrp.strip_prefix("ln").ok_or_else(unknown)?;
    let (currency, amount) = Currency::MATCH_ORDER
        .into_iter()
        .find_map(|c| {
            let amount = rest.strip_prefix(c.prefix())?;
            // An amount starts with a digit; anything else means a different
            // (unknown) prefix such as `lnbcx`.
            (amount.is_empty() || amount.starts_with(|ch: char| ch.is_ascii_digit()))
                .then_some((c, amount))
        })
        .ok_or_else(unknown)?;
    if amount.is_empty() {
        return Ok((currency, None));
    }
    Ok((currency, Some(parse_amount(amount)?)))
}

/// Parses `digits[multiplier]` into millisatoshis.
fn parse_amount(text: &str) -> Result<Msat, InvoiceError> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, tail) = text.split_at(digits_end);
    let mut tail_chars = tail.chars();
    let multiplier = tail_chars.next();
    if let Some(m) = multiplier {
        if !MULTIPLIERS.iter().any(|(c, _)| *c == m) {
            return Err(InvoiceError::InvalidMultiplier(m));
        }
    }
    if tail_chars.next().is_some() || digits.is_empty() || digits.starts_with('0') {
        // Trailing characters, no digits, or a leading zero (which also
        // rules out a zero amount): BOLT 11 wants a positive integer with
        // no leading zeros.
        return Err(InvoiceError::InvalidAmount);
    }
    if digits.len() > MAX_AMOUNT_DIGITS {
        return Err(InvoiceError::AmountTooLarge);
    }
    let value: u128 = digits.parse().map_err(|_| InvoiceError::InvalidAmount)?;
    let tenths_of_msat = match multiplier {
        None => value.checked_mul(MSAT_PER_BTC * 10),
        Some(m) => MULTIPLIERS
            .iter()
            .find(|(c, _)| *c == m)
            .and_then(|(_, per_unit)| value.checked_mul(*per_unit)),
    }
    .ok_or(InvoiceError::AmountTooLarge)?;
    if tenths_of_msat % 10 != 0 {
        return Err(InvoiceError::SubMillisatoshi);
    }
    u64::try_from(tenths_of_msat / 10)
        .map(Msat)
        .map_err(|_| InvoiceError::AmountTooLarge)
}

/// The human-readable part for `currency` and `amount`, using the largest
/// multiplier that keeps the amount an integer (BOLT 11's SHOULD).
pub(crate) fn format_hrp(currency: Currency, amount: Option<Msat>) -> String {
    let mut hrp = format!("ln{}", currency.prefix());
    if let Some(Msat(msat)) = amount {
        let tenths = u128::from(msat) * 10;
        if tenths % (MSAT_PER_BTC * 10) == 0 {
            hrp.push_str(&(tenths / (MSAT_PER_BTC * 10)).to_string());
        } else if let Some((c, per_unit)) = MULTIPLIERS
            .iter()
            .find(|(_, per_unit)| tenths % per_unit == 0)
        {
            hrp.push_str(&(tenths / per_unit).to_string());
            hrp.push(*c);
        }
    }
    hrp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_amounts_parse() {
        assert_eq!(parse_hrp("lnbc"), Ok((Currency::Bitcoin, None)));
        assert_eq!(parse_hrp("lnbcrt"), Ok((Currency::Regtest, None)));
        assert_eq!(parse_hrp("lntbs"), Ok((Currency::Signet, None)));
        assert_eq!(
            parse_hrp("lntb20m"),
            Ok((Currency::Testnet, Some(Msat(2_000_000_000))))
        );
        assert_eq!(
            parse_hrp("lnsb1u"),
            Ok((Currency::Simnet, Some(Msat(100_000))))
        );
        assert_eq!(
            parse_hrp("lnbcrt2500u"),
            Ok((Currency::Regtest, Some(Msat(250_000_000))))
        );
        assert_eq!(
            parse_hrp("lnbc1"),
            Ok((Currency::Bitcoin, Some(Msat(100_000_000_000))))
        );
        assert_eq!(parse_hrp("lnbc10p"), Ok((Currency::Bitcoin, Some(Msat(1)))));
        assert_eq!(
            parse_hrp("lnbc9678785340p"),
            Ok((Currency::Bitcoin, Some(Msat(967_878_534))))
        );
    }

    #[test]
    fn bad_prefixes_and_amounts_fail() {
        assert!(matches!(
            parse_hrp("bc"),
            Err(InvoiceError::UnknownCurrency(_))
        ));
        assert!(matches!(
            parse_hrp("lnxy"),
            Err(InvoiceError::UnknownCurrency(_))
        ));
        assert!(matches!(
            parse_hrp("lnbcx"),
            Err(InvoiceError::UnknownCurrency(_))
        ));
        assert_eq!(
            parse_hrp("lnbc2500x"),
            Err(InvoiceError::InvalidMultiplier('x'))
        );
        assert_eq!(parse_hrp("lnbc1p"), Err(InvoiceError::SubMillisatoshi));
        assert_eq!(parse_hrp("lnbc0"), Err(InvoiceError::InvalidAmount));
        assert_eq!(parse_hrp("lnbc025m"), Err(InvoiceError::InvalidAmount));
        assert_eq!(parse_hrp("lnbc25mm"), Err(InvoiceError::InvalidAmount));
        assert_eq!(parse_hrp("lnbc25m1"), Err(InvoiceError::InvalidAmount));
        assert_eq!(
            parse_hrp("lnbc99999999999"),
            Err(InvoiceError::AmountTooLarge)
        );
        assert_eq!(
            parse_hrp("lnbc999999999999999999999999999999999999999999999p"),
            Err(InvoiceError::AmountTooLarge)
        );
    }

    #[test]
    fn amounts_format_with_the_largest_multiplier() {
        for (msat, text) in [
            (250_000_000, "lnbc2500u"),
            (2_500_000_000, "lnbc25m"),
            (967_878_534, "lnbc9678785340p"),
            (100_000_000_000, "lnbc1"),
            (1, "lnbc10p"),
            (100, "lnbc1n"),
            (u64::MAX, "lnbc184467440737095516150p"),
        ] {
            let hrp = format_hrp(Currency::Bitcoin, Some(Msat(msat)));
            assert_eq!(hrp, text);
            assert_eq!(parse_hrp(&hrp), Ok((Currency::Bitcoin, Some(Msat(msat)))));
        }
        assert_eq!(format_hrp(Currency::Signet, None), "lntbs");
    }
}
