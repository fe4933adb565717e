//! `rayo`: the one command a person types.
//!
//! For now it carries the chain verbs, `rayo chain VERB [ARGS]`: a
//! bitcoin-cli work-alike for `rayo-chaind` (or any Bitcoin Core compatible
//! JSON-RPC server), so the tutorial's `btcctl generate 400` becomes
//! `rayo chain generate 400 --address <addr>`.

mod chain;
mod rpc_client;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// The top-level command line.
#[derive(Parser, Debug)]
#[command(
    name = "rayo",
    version,
    about = "Rayo: a Lightning node and its private chain"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Groups of verbs.
#[derive(Subcommand, Debug)]
enum Command {
    /// Talk to the chain daemon (rayo-chaind, or bitcoind) over JSON-RPC, like bitcoin-cli
    #[command(
        // `rayo chain help [command]` goes to the server's `help` RPC, as in bitcoin-cli.
        disable_help_subcommand = true,
        after_help = "Any other JSON-RPC method is passed through: rayo chain <method> [params...]\n\
                      (put connection flags before the method then), e.g. rayo chain getblockhash 0"
    )]
    Chain(ChainArgs),
}

/// `rayo chain [CONNECTION FLAGS] VERB [ARGS]`.
#[derive(Args, Debug)]
struct ChainArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(subcommand)]
    verb: ChainVerb,
}

/// How to reach the chain daemon; bitcoin-cli's `-datadir`, `-rpcport`,
/// `-rpcconnect`, `-rpcuser` and `-rpcpassword`. Global within `rayo chain`
/// so they may come before or after a typed verb.
#[derive(Args, Debug)]
struct ConnectionArgs {
    /// The chain daemon's data directory; its cookie is read from DIR/regtest/.cookie
    /// [default: $RAYO_HOME/chain, or ~/.rayo/chain]
    #[arg(long, global = true, value_name = "DIR")]
    datadir: Option<PathBuf>,

    /// JSON-RPC port; wins over a port given in --rpcserver [default: 18443]
    #[arg(long, global = true, value_name = "PORT",
          value_parser = clap::value_parser!(u16).range(1..))]
    rpcport: Option<u16>,

    /// Server to connect to, HOST or HOST:PORT ([IPv6]:PORT)
    #[arg(long, global = true, value_name = "HOST[:PORT]", default_value = chain::DEFAULT_RPC_SERVER)]
    rpcserver: String,

    /// User for JSON-RPC password authentication (without it the cookie file is used)
    #[arg(long, global = true, value_name = "USER", env = "RAYO_CHAIN_RPCUSER")]
    rpcuser: Option<String>,

    /// Password for --rpcuser
    #[arg(
        long,
        global = true,
        value_name = "PASSWORD",
        env = "RAYO_CHAIN_RPCPASSWORD",
        hide_env_values = true,
        requires = "rpcuser"
    )]
    rpcpassword: Option<String>,
}

/// The chain verbs with their own help; anything else is passed through.
#[derive(Subcommand, Debug)]
enum ChainVerb {
    /// Mine blocks now, to --address or else to the daemon's --miningaddr
    Generate {
        /// How many blocks to mine
        #[arg(value_name = "N", default_value_t = 1)]
        nblocks: u32,
        /// Pay the block rewards to this address (calls generatetoaddress)
        #[arg(long, value_name = "ADDR")]
        address: Option<String>,
    },
    /// Mine blocks now, paying the rewards to ADDR
    Generatetoaddress {
        /// How many blocks to mine
        #[arg(value_name = "N")]
        nblocks: u32,
        /// The address that receives the block rewards
        #[arg(value_name = "ADDR")]
        address: String,
        /// How many proof-of-work iterations to try per block
        maxtries: Option<u64>,
    },
    /// Show the chain's state: name, height, best block, softforks, ...
    Getblockchaininfo,
    /// Print the height of the most-work chain
    Getblockcount,
    /// Show a block: 0 = hex, 1 = JSON with txids (default), 2 = JSON with transactions
    Getblock {
        /// The block hash
        #[arg(value_name = "HASH")]
        blockhash: String,
        /// 0, 1 or 2 (true/false as 1/0)
        #[arg(value_name = "VERBOSITY")]
        verbosity: Option<String>,
    },
    /// Show a transaction from the mempool or a block (hex, or JSON when VERBOSE)
    Getrawtransaction {
        /// The transaction id
        #[arg(value_name = "TXID")]
        txid: String,
        /// false/0 for hex (default), true/1 for JSON
        #[arg(value_name = "VERBOSE")]
        verbose: Option<String>,
        /// Look the transaction up in this block
        #[arg(value_name = "BLOCKHASH")]
        blockhash: Option<String>,
    },
    /// Submit a signed raw transaction to the mempool; prints its txid
    Sendrawtransaction {
        /// The transaction, hex encoded
        #[arg(value_name = "HEX")]
        hexstring: String,
        /// Reject if the fee rate is above this, in BTC/kvB (0 for no limit)
        #[arg(value_name = "MAXFEERATE")]
        maxfeerate: Option<String>,
    },
    /// List the mempool's txids, or its entries when VERBOSE is true
    Getrawmempool {
        /// false (default) for txids, true for entries
        #[arg(value_name = "VERBOSE")]
        verbose: Option<String>,
    },
    /// Any other JSON-RPC method: rayo chain <method> [params...]
    #[command(external_subcommand)]
    Other(Vec<String>),
}

impl ChainVerb {
    /// The JSON-RPC method and its positional words. Typed verbs only give
    /// the words help text and names; conversion to JSON is the same for all
    /// (see `chain::convert_params`), so `getblock H 2` and a passthrough
    /// `getblock H 2` send the same request.
    fn into_call(self) -> (String, Vec<String>) {
        fn words(required: Vec<String>, optional: Vec<Option<String>>) -> Vec<String> {
            // Optional positionals are only ever trailing: stop at the first missing one.
            required
                .into_iter()
                .chain(optional.into_iter().map_while(|o| o))
                .collect()
        }
        let (method, args) = match self {
            Self::Generate {
                nblocks,
                address: Some(address),
            } => ("generatetoaddress", vec![nblocks.to_string(), address]),
            Self::Generate {
                nblocks,
                address: None,
            } => ("generate", vec![nblocks.to_string()]),
            Self::Generatetoaddress {
                nblocks,
                address,
                maxtries,
            } => (
                "generatetoaddress",
                words(
                    vec![nblocks.to_string(), address],
                    vec![maxtries.map(|m| m.to_string())],
                ),
            ),
            Self::Getblockchaininfo => ("getblockchaininfo", vec![]),
            Self::Getblockcount => ("getblockcount", vec![]),
            Self::Getblock {
                blockhash,
                verbosity,
            } => ("getblock", words(vec![blockhash], vec![verbosity])),
            Self::Getrawtransaction {
                txid,
                verbose,
                blockhash,
            } => (
                "getrawtransaction",
                words(vec![txid], vec![verbose, blockhash]),
            ),
            Self::Sendrawtransaction {
                hexstring,
                maxfeerate,
            } => (
                "sendrawtransaction",
                words(vec![hexstring], vec![maxfeerate]),
            ),
            Self::Getrawmempool { verbose } => ("getrawmempool", words(vec![], vec![verbose])),
            Self::Other(mut words) => {
                // clap always puts the method name first; be defensive anyway.
                let method = if words.is_empty() {
                    String::new()
                } else {
                    words.remove(0)
                };
                return (method, words);
            }
        };
        (method.to_owned(), args)
    }
}

impl From<ConnectionArgs> for chain::Connection {
    fn from(a: ConnectionArgs) -> Self {
        Self {
            datadir: a.datadir,
            rpcserver: a.rpcserver,
            rpcport: a.rpcport,
            rpcuser: a.rpcuser,
            rpcpassword: a.rpcpassword,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Chain(ChainArgs { connection, verb }) => {
            let (method, args) = verb.into_call();
            chain::run(&connection.into(), &method, &args)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_of(argv: &[&str]) -> (String, Vec<String>) {
        let cli = Cli::try_parse_from(argv).unwrap();
        let Command::Chain(args) = cli.command;
        args.verb.into_call()
    }

    #[test]
    fn clap_definitions_are_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }

    #[test]
    fn verbs_map_to_methods() {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            call_of(&["rayo", "chain", "generate", "400"]),
            ("generate".into(), v(&["400"]))
        );
        assert_eq!(
            call_of(&["rayo", "chain", "generate"]),
            ("generate".into(), v(&["1"]))
        );
        assert_eq!(
            call_of(&["rayo", "chain", "generate", "3", "--address", "bcrt1q"]),
            ("generatetoaddress".into(), v(&["3", "bcrt1q"]))
        );
        assert_eq!(
            call_of(&["rayo", "chain", "getblock", "h"]),
            ("getblock".into(), v(&["h"]))
        );
        assert_eq!(
            call_of(&["rayo", "chain", "getrawtransaction", "t", "true", "b"]),
            ("getrawtransaction".into(), v(&["t", "true", "b"]))
        );
        assert_eq!(
            call_of(&["rayo", "chain", "getrawmempool"]),
            ("getrawmempool".into(), v(&[]))
        );
        assert_eq!(
            call_of(&["rayo", "chain", "getblockhash", "0"]),
            ("getblockhash".into(), v(&["0"]))
        );
        assert_eq!(call_of(&["rayo", "chain", "help"]), ("help".into(), v(&[])));
    }

    #[test]
    fn connection_flags_are_global_within_chain() {
        for argv in [
            &["rayo", "chain", "--rpcport", "18500", "getblockcount"][..],
            &["rayo", "chain", "getblockcount", "--rpcport", "18500"][..],
        ] {
            let Command::Chain(args) = Cli::try_parse_from(argv).unwrap().command;
            assert_eq!(args.connection.rpcport, Some(18500));
        }
        assert!(Cli::try_parse_from(["rayo", "chain", "--rpcport", "0", "getblockcount"]).is_err());
        assert!(Cli::try_parse_from(["rayo", "chain", "generate", "-5"]).is_err());
    }
}
