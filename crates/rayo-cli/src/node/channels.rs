//! The channel verbs: `openchannel` (lncli's flags and positional form, and
//! its output) and the `listchannels` filters.

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args};
use rayo_api::address::{check_host_port, pubkey_bytes, DEFAULT_P2P_PORT};
use rayo_api::types::{ChannelPoint, ConnectPeerRequest, LightningAddress, OpenChannelRequest};
use serde::Serialize;

use super::NodeFlags;

/// `rayo openchannel`: lncli's flags, and its positional form
/// `PUBKEY LOCAL_AMT [PUSH_AMT]` (a value given by flag is skipped in it).
#[derive(Args, Debug)]
pub struct OpenChannelArgs {
    /// The peer's identity public key (66 hex characters)
    #[arg(long = "node_key", alias = "node-key", value_name = "PUBKEY")]
    node_key: Option<String>,
    /// Connect to the peer at HOST:PORT first (no error if already connected)
    #[arg(long, value_name = "HOST:PORT")]
    connect: Option<String>,
    /// The satoshis the wallet puts into the channel (its capacity)
    #[arg(long = "local_amt", alias = "local-amt", value_name = "SAT",
          value_parser = clap::value_parser!(i64).range(1..))]
    local_amt: Option<i64>,
    /// The satoshis of the channel given to the peer at open
    #[arg(long = "push_amt", alias = "push-amt", value_name = "SAT",
          value_parser = clap::value_parser!(i64).range(0..))]
    push_amt: Option<i64>,
    /// The funding transaction's fee rate in sat/vB [default: the node's estimate]
    #[arg(long = "sat_per_vbyte", alias = "sat-per-vbyte", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    sat_per_vbyte: Option<u64>,
    /// The confirmation target in blocks for the funding fee estimate
    #[arg(long = "conf_target", alias = "conf-target", value_name = "BLOCKS",
          value_parser = clap::value_parser!(i32).range(1..),
          conflicts_with = "sat_per_vbyte")]
    conf_target: Option<i32>,
    /// Keep the channel private: not announced to the network
    #[arg(long, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    private: bool,
    /// The minimum confirmations of the coins that fund the channel; 0 spends
    /// unconfirmed coins too
    #[arg(long = "min_confs", alias = "min-confs", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(i32).range(0..))]
    min_confs: i32,
    /// A note kept with the channel, for yourself (at most 500 characters)
    #[arg(long, value_name = "TEXT")]
    memo: Option<String>,
    /// PUBKEY LOCAL_AMT [PUSH_AMT], as lncli takes them
    #[arg(value_name = "ARGS", num_args = 0..=3)]
    args: Vec<String>,
    #[command(flatten)]
    pub(super) conn: NodeFlags,
}

/// The `connect` (with `--connect`) and the open request of `openchannel`,
/// read as lncli reads its flags and arguments: the pubkey from --node_key
/// or the first argument, then the local amount from --local_amt or the next
/// argument, then the push amount from --push_amt or the next argument.
pub(super) fn open_channel_request(
    args: OpenChannelArgs,
) -> Result<(Option<ConnectPeerRequest>, OpenChannelRequest), String> {
    let mut words = args.args.into_iter();
    let usage = "rayo openchannel --node_key PUBKEY --local_amt SAT (or `rayo openchannel PUBKEY LOCAL_AMT [PUSH_AMT]`)";
    let node_key = args
        .node_key
        .or_else(|| words.next())
        .ok_or_else(|| format!("openchannel needs the peer's public key: {usage}"))?;
    let node_pubkey = pubkey_bytes(&node_key).map_err(|e| e.to_string())?;
    let amount = |word: String, what: &str| {
        word.parse::<i64>()
            .map_err(|_| format!("`{word}` is not an amount in satoshis ({what})"))
    };
    let local_amt = match args.local_amt {
        Some(amt) => amt,
        None => match words.next() {
            Some(word) => amount(word, "the local amount")?,
            None => return Err(format!("openchannel needs an amount: {usage}")),
        },
    };
    let push_amt = match args.push_amt {
        Some(amt) => amt,
        None => match words.next() {
            Some(word) => amount(word, "the push amount")?,
            None => 0,
        },
    };
    if let Some(extra) = words.next() {
        return Err(format!(
            "unexpected argument `{extra}`: openchannel takes PUBKEY LOCAL_AMT [PUSH_AMT]"
        ));
    }
    if local_amt <= 0 {
        return Err(format!(
            "the local amount must be a positive number of satoshis, not {local_amt}"
        ));
    }
    if push_amt < 0 {
        return Err(format!(
            "the push amount must not be negative, not {push_amt}"
        ));
    }
    if push_amt >= local_amt {
        return Err(format!(
            "the push amount ({push_amt} sat) must be below the local amount ({local_amt} sat)"
        ));
    }
    let connect = match args.connect {
        Some(host) => {
            check_host_port(&host, DEFAULT_P2P_PORT)
                .map_err(|why| format!("invalid --connect `{host}`: {why}"))?;
            Some(ConnectPeerRequest {
                addr: LightningAddress {
                    pubkey: node_key.clone(),
                    host,
                },
                perm: false,
                timeout: 0,
            })
        }
        None => None,
    };
    let open = OpenChannelRequest {
        node_pubkey,
        node_pubkey_string: node_key,
        local_funding_amount: local_amt,
        push_sat: push_amt,
        sat_per_vbyte: args.sat_per_vbyte.unwrap_or(0),
        target_conf: args.conf_target.unwrap_or(0),
        private: args.private,
        min_confs: args.min_confs,
        // As lncli: --min_confs 0 spends unconfirmed coins.
        spend_unconfirmed: args.min_confs == 0,
        memo: args.memo.unwrap_or_default(),
        ..Default::default()
    };
    Ok((connect, open))
}

/// What `openchannel` prints: lncli's `funding_txid`, and the output index.
#[derive(Debug, PartialEq, Serialize)]
pub(super) struct OpenChannelOutput {
    funding_txid: String,
    output_index: u32,
}

impl OpenChannelOutput {
    pub(super) fn from_point(point: &ChannelPoint) -> Result<Self, String> {
        let funding_txid = point
            .txid()
            .ok_or("unexpected answer from the node: no funding txid in the channel point")?;
        Ok(OpenChannelOutput {
            funding_txid,
            output_index: point.output_index,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PK: &str = "02a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc";

    fn open_req(argv: &[&str]) -> Result<(Option<ConnectPeerRequest>, OpenChannelRequest), String> {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            args: OpenChannelArgs,
        }
        let mut full = vec!["openchannel"];
        full.extend_from_slice(argv);
        T::try_parse_from(full)
            .map_err(|e| e.to_string())
            .and_then(|t| open_channel_request(t.args))
    }

    #[test]
    fn open_channel_flags() {
        let key = format!("--node_key={PK}");
        let (connect, r) = open_req(&[&key, "--local_amt=1000000"]).unwrap();
        assert_eq!(connect, None);
        assert_eq!(r.node_pubkey_string, PK);
        assert_eq!(r.node_pubkey.len(), 33);
        assert_eq!(r.node_pubkey[0], 0x02);
        assert_eq!(r.node_pubkey[32], 0xdc);
        assert_eq!(r.node_pubkey_hex(), PK);
        assert_eq!((r.local_funding_amount, r.push_sat), (1_000_000, 0));
        assert_eq!((r.min_confs, r.spend_unconfirmed), (1, false));
        assert_eq!((r.sat_per_vbyte, r.target_conf, r.private), (0, 0, false));
        // The wire form: int64 as strings, the key both ways.
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["local_funding_amount"], "1000000");
        assert_eq!(json["node_pubkey_string"], PK);

        let (connect, r) = open_req(&[
            "--node_key",
            PK,
            "--local_amt",
            "500000",
            "--push_amt",
            "10000",
            "--sat_per_vbyte",
            "5",
            "--private",
            "--connect",
            "127.0.0.1:9736",
            "--min_confs",
            "0",
            "--memo",
            "to bob",
        ])
        .unwrap();
        assert_eq!(
            connect,
            Some(ConnectPeerRequest {
                addr: LightningAddress {
                    pubkey: PK.into(),
                    host: "127.0.0.1:9736".into()
                },
                perm: false,
                timeout: 0,
            })
        );
        assert_eq!(
            (r.local_funding_amount, r.push_sat, r.sat_per_vbyte),
            (500_000, 10_000, 5)
        );
        assert!(r.private && r.spend_unconfirmed);
        assert_eq!((r.min_confs, r.memo.as_str()), (0, "to bob"));
        let (_, r) = open_req(&[PK, "20000", "--conf_target", "6", "--private=false"]).unwrap();
        assert_eq!(
            (r.local_funding_amount, r.target_conf, r.private),
            (20_000, 6, false)
        );
    }

    #[test]
    fn open_channel_positional_arguments_as_lncli() {
        let (_, r) = open_req(&[PK, "1000000"]).unwrap();
        assert_eq!(
            (
                r.node_pubkey_string.as_str(),
                r.local_funding_amount,
                r.push_sat
            ),
            (PK, 1_000_000, 0)
        );
        let (_, r) = open_req(&[PK, "1000000", "5000"]).unwrap();
        assert_eq!(r.push_sat, 5_000);
        // A value given by flag is skipped in the positional list.
        let (_, r) = open_req(&["--node_key", PK, "300000", "7"]).unwrap();
        assert_eq!((r.local_funding_amount, r.push_sat), (300_000, 7));
        let (_, r) = open_req(&["--local_amt", "300000", PK, "7"]).unwrap();
        assert_eq!((r.node_pubkey_string.as_str(), r.push_sat), (PK, 7));
        let (_, r) = open_req(&["--node_key", PK, "--local_amt", "300000", "8"]).unwrap();
        assert_eq!(r.push_sat, 8);
    }

    #[test]
    fn open_channel_bad_input_is_refused_locally() {
        for (argv, why) in [
            (&[][..], "needs the peer's public key"),
            (&["--local_amt", "5"][..], "needs the peer's public key"),
            (&[PK][..], "needs an amount"),
            (&["--node_key", PK][..], "needs an amount"),
            (&["nothex", "1000"][..], "not a node public key"),
            (&[&PK[..64], "1000"][..], "not a node public key"),
            (
                &[&format!("04{}", &PK[2..]), "1000"][..],
                "not a node public key",
            ),
            (&[PK, "abc"][..], "not an amount"),
            (&[PK, "1000", "x"][..], "not an amount"),
            (&[PK, "0"][..], "positive"),
            (&[PK, "1000", "1000"][..], "below the local amount"),
            (&[PK, "1000", "2000"][..], "below the local amount"),
            (
                &[
                    "--node_key",
                    PK,
                    "--local_amt",
                    "1000",
                    "--push_amt",
                    "1000",
                ][..],
                "below",
            ),
            (
                &["--node_key", PK, "--local_amt", "0"][..],
                "0 is not in 1..",
            ),
            (
                &["--node_key", PK, "--local_amt", "-5"][..],
                "unexpected argument",
            ),
            (&[PK, "1000", "1", "2"][..], "unexpected value '2'"),
            (
                &["--node_key", PK, "1000", "1", "2"][..],
                "unexpected argument `2`",
            ),
            (&[PK, "1000", "--connect", "h:0"][..], "invalid --connect"),
            (&[PK, "1000", "--connect", "::1"][..], "invalid --connect"),
            (&[PK, "1000", "--sat_per_vbyte", "0"][..], "0 is not in 1.."),
            (
                &[PK, "1000", "--sat_per_vbyte", "2", "--conf_target", "3"][..],
                "cannot be used with",
            ),
            (
                &[PK, "1000", "--min_confs", "-1"][..],
                "unexpected argument",
            ),
            (&[PK, "1000", "--private=maybe"][..], "invalid value"),
        ] {
            let err = open_req(argv).unwrap_err();
            assert!(err.contains(why), "{argv:?}: {err}");
        }
    }

    #[test]
    fn channel_point_prints_as_funding_txid_and_index() {
        let point = ChannelPoint::from_txid_bytes((0u8..32).collect(), 1);
        let out = OpenChannelOutput::from_point(&point).unwrap();
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            serde_json::json!({
                "funding_txid": "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100",
                "output_index": 1
            })
        );
        assert!(OpenChannelOutput::from_point(&ChannelPoint::default())
            .unwrap_err()
            .contains("no funding txid"));
    }
}
