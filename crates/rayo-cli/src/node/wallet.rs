//! The wallet verbs' requests: `sendcoins` (lncli's flags and positional
//! form) and the `listchaintxns` height range.

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args};
use rayo_api::types::SendCoinsRequest;

use super::NodeFlags;

/// `rayo sendcoins`.
#[derive(Args, Debug)]
pub struct SendCoinsArgs {
    /// The address to send to
    #[arg(long, value_name = "ADDR", conflicts_with = "addr_arg")]
    addr: Option<String>,
    /// The amount in satoshis
    #[arg(long, value_name = "SAT", value_parser = clap::value_parser!(i64).range(1..),
          conflicts_with = "amt_arg")]
    amt: Option<i64>,
    /// Send all the wallet's coins (less the fee) to the address
    #[arg(long, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new(),
          conflicts_with_all = ["amt", "amt_arg"])]
    sweepall: bool,
    /// The fee rate in sat/vB [default: the node's estimate]
    #[arg(long = "sat_per_vbyte", alias = "sat-per-vbyte", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    sat_per_vbyte: Option<u64>,
    /// The confirmation target in blocks for the fee estimate
    #[arg(long = "conf_target", alias = "conf-target", value_name = "BLOCKS",
          value_parser = clap::value_parser!(i32).range(1..),
          conflicts_with = "sat_per_vbyte")]
    conf_target: Option<i32>,
    /// The minimum confirmations of the coins spent; 0 spends unconfirmed coins too
    #[arg(long = "min_confs", alias = "min-confs", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(i32).range(0..))]
    min_confs: i32,
    /// A label kept with the transaction
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
    /// The address, as lncli's first argument
    #[arg(value_name = "ADDR")]
    addr_arg: Option<String>,
    /// The amount in satoshis, as lncli's second argument
    #[arg(value_name = "AMT", value_parser = clap::value_parser!(i64).range(1..))]
    amt_arg: Option<i64>,
    #[command(flatten)]
    pub(super) conn: NodeFlags,
}

pub(super) fn send_coins_request(args: SendCoinsArgs) -> Result<SendCoinsRequest, String> {
    let addr = args
        .addr
        .or(args.addr_arg)
        .ok_or("sendcoins needs an address: --addr ADDR (or `rayo sendcoins ADDR AMT`)")?;
    let amount = args.amt.or(args.amt_arg);
    let amount = match (args.sweepall, amount) {
        (true, _) => 0,
        (false, Some(amount)) => amount,
        (false, None) => {
            return Err(
                "sendcoins needs an amount: --amt SAT, or --sweepall to send every coin".to_owned(),
            )
        }
    };
    Ok(SendCoinsRequest {
        addr,
        amount,
        target_conf: args.conf_target.unwrap_or(0),
        sat_per_vbyte: args.sat_per_vbyte.unwrap_or(0),
        send_all: args.sweepall,
        label: args.label.unwrap_or_default(),
        min_confs: args.min_confs,
        // As lncli: --min_confs 0 spends unconfirmed coins.
        spend_unconfirmed: args.min_confs == 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_coins_requests() {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            args: SendCoinsArgs,
        }
        let req = |argv: &[&str]| {
            let mut full = vec!["sendcoins"];
            full.extend_from_slice(argv);
            T::try_parse_from(full)
                .map_err(|e| e.to_string())
                .and_then(|t| send_coins_request(t.args))
        };
        let r = req(&["--addr", "bcrt1q", "--amt", "1000", "--sat_per_vbyte", "3"]).unwrap();
        assert_eq!(
            (r.addr.as_str(), r.amount, r.sat_per_vbyte),
            ("bcrt1q", 1000, 3)
        );
        assert_eq!(
            (r.min_confs, r.spend_unconfirmed, r.send_all),
            (1, false, false)
        );
        let r = req(&["bcrt1q", "5000"]).unwrap();
        assert_eq!((r.addr.as_str(), r.amount), ("bcrt1q", 5000));
        let r = req(&["--addr", "bcrt1q", "--sweepall", "--min_confs", "0"]).unwrap();
        assert!(r.send_all && r.spend_unconfirmed);
        assert_eq!(r.amount, 0);
        let r = req(&["--addr=bcrt1q", "--sweepall=true"]).unwrap();
        assert!(r.send_all);
        assert!(req(&["--addr", "bcrt1q"])
            .unwrap_err()
            .contains("needs an amount"));
        assert!(req(&["--amt", "5"])
            .unwrap_err()
            .contains("needs an address"));
        assert!(req(&["--addr", "a", "--amt", "5", "--sweepall"]).is_err());
        assert!(req(&["--addr", "a", "--amt", "0"]).is_err());
        assert!(req(&["--addr", "a", "--amt", "-5"]).is_err());
        assert!(req(&["--addr", "a", "b", "5"]).is_err());
        assert!(req(&[
            "--addr",
            "a",
            "--amt",
            "5",
            "--sat_per_vbyte",
            "2",
            "--conf_target",
            "3"
        ])
        .is_err());
    }
}
