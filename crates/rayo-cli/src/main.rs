//! `rayo`: the one command a person types.
//!
//! - Node verbs with lncli's names and flags (`rayo getinfo`, `rayo
//!   newaddress np2wkh`, `rayo connect <pubkey>@<host>`, ...), talking to a
//!   `rayod` through its REST API; see [`node`].
//! - Local networks: `rayo net up|status|down` starts a chain and nodes as
//!   background processes, and `-n NAME` then picks a node; see [`net`].
//! - Chain verbs, `rayo chain VERB [ARGS]`: a bitcoin-cli work-alike for
//!   `rayo-chaind` (or any Bitcoin Core compatible JSON-RPC server), so the
//!   tutorial's `btcctl generate 400` becomes `rayo chain generate 400
//!   --address <addr>`; see [`chain`].

mod chain;
mod net;
mod node;
mod process;
mod rpc_client;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// The top-level command line.
#[derive(Parser, Debug)]
#[command(
    name = "rayo",
    version,
    about = "Rayo: a Lightning node, its private chain and local networks",
    after_help = "Start a local network (a chain, alice and bob):  rayo net up\n\
                  Then talk to a node:                            rayo -n alice getinfo"
)]
struct Cli {
    /// Where local networks live (DIR/net/NAME)
    #[arg(long, global = true, env = "RAYO_HOME", hide_env_values = true, value_name = "DIR",
          default_value_os_t = default_home_display(), help_heading = "Global options")]
    home: PathBuf,

    /// The local network that `net`, `-n` and `chain` use
    #[arg(long = "name", global = true, value_name = "NETWORK",
          default_value = net::DEFAULT_NETWORK, help_heading = "Global options")]
    network: String,

    #[command(flatten)]
    node: node::NodeFlags,

    #[command(subcommand)]
    command: Command,
}

/// `~/.rayo`, shown as the default of `--home` (empty when there is no home
/// directory, which [`net::home_dir`] then reports).
fn default_home_display() -> PathBuf {
    net::home_dir(None).unwrap_or_default()
}

/// Groups of verbs.
#[derive(Subcommand, Debug)]
enum Command {
    #[command(flatten)]
    Node(node::NodeCommand),

    /// Run a local network: rayo-chaind and one rayod per node, in the background
    Net(NetArgs),

    /// Talk to the chain daemon (rayo-chaind, or bitcoind) over JSON-RPC, like bitcoin-cli
    #[command(
        // `rayo chain help [command]` goes to the server's `help` RPC, as in bitcoin-cli.
        disable_help_subcommand = true,
        after_help = "Any other JSON-RPC method is passed through: rayo chain <method> [params...]\n\
                      (put connection flags before the method then), e.g. rayo chain getblockhash 0\n\
                      Without connection flags, the chain of the running local network (--name) is used."
    )]
    Chain(ChainArgs),
}

/// `rayo net VERB`.
#[derive(Args, Debug)]
struct NetArgs {
    #[command(subcommand)]
    verb: NetVerb,
}

/// The local network verbs.
#[derive(Subcommand, Debug)]
enum NetVerb {
    /// Start the network (or say that it is up): a chain and one node per name, on free ports
    Up {
        /// The node names, comma separated [default: the network's last nodes, else alice,bob]
        #[arg(long, value_name = "NAMES", value_delimiter = ',')]
        nodes: Option<Vec<String>>,
    },
    /// Show the network's daemons, whether each is alive, and the log of any that died
    #[command(after_help = "Exits with 1 when the network is down or a daemon is not running.")]
    Status,
    /// Stop every daemon of the network (their data is kept for the next `up`)
    Down,
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
/// so they may come before or after a typed verb. With none of them, the
/// running local network's chain is used, else the defaults.
#[derive(Args, Debug)]
struct ConnectionArgs {
    /// The chain daemon's data directory; its cookie is read from DIR/regtest/.cookie
    /// [default: the local network's chain, else $RAYO_HOME/chain]
    #[arg(long, global = true, value_name = "DIR")]
    datadir: Option<PathBuf>,

    /// JSON-RPC port; wins over a port given in --rpcserver [default: 18443]
    #[arg(long, global = true, value_name = "PORT",
          value_parser = clap::value_parser!(u16).range(1..))]
    rpcport: Option<u16>,

    /// Server to connect to, HOST or HOST:PORT ([IPv6]:PORT) [default: 127.0.0.1]
    #[arg(long, global = true, value_name = "HOST[:PORT]")]
    rpcserver: Option<String>,

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

impl ConnectionArgs {
    /// The connection: the flags as given; with none, the chain of the
    /// running local network `network` under `home`, else the defaults
    /// (`home`/chain on 127.0.0.1:18443).
    fn resolve(self, home: Option<&std::path::Path>, network: &str) -> chain::Connection {
        let explicit = self.datadir.is_some()
            || self.rpcport.is_some()
            || self.rpcserver.is_some()
            || self.rpcuser.is_some();
        let mut connection = chain::Connection {
            datadir: self.datadir,
            rpcserver: self
                .rpcserver
                .unwrap_or_else(|| chain::DEFAULT_RPC_SERVER.to_owned()),
            rpcport: self.rpcport,
            rpcuser: self.rpcuser,
            rpcpassword: self.rpcpassword,
            start_hint: None,
        };
        if explicit {
            return connection;
        }
        let Some(home) = home else {
            return connection;
        };
        match net::running_chain(home, network) {
            Some((datadir, rpcport)) => {
                connection.datadir = Some(datadir);
                connection.rpcport = Some(rpcport);
                connection.start_hint = Some(if network == net::DEFAULT_NETWORK {
                    "rayo net up".to_owned()
                } else {
                    format!("rayo --name {network} net up")
                });
            }
            None => {
                let datadir = home.join("chain");
                connection.start_hint = Some(format!(
                    "rayo-chaind --datadir {}\n(or start a local network, with its own chain, with `rayo net up`)",
                    datadir.display()
                ));
                connection.datadir = Some(datadir);
            }
        }
        connection
    }
}

/// Prints `rayo: <message>` on stderr; exit status 1.
fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr().lock(), "rayo: {message}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let home = net::home_dir(Some(cli.home));
    let network = cli.network;
    match cli.command {
        Command::Chain(ChainArgs { connection, verb }) => {
            if cli.node.any() {
                return fail(
                    "-n/--node, --rpcserver, --datadir, --tlscertpath and --tokenpath before \
                     `chain` are a node's; put the chain's connection flags after `chain` \
                     (rayo chain --datadir DIR --rpcport PORT VERB)",
                );
            }
            let (method, args) = verb.into_call();
            let connection = connection.resolve(home.as_deref().ok(), &network);
            chain::run(&connection, &method, &args)
        }
        Command::Net(NetArgs { verb }) => {
            let home = match home {
                Ok(home) => home,
                Err(e) => return fail(&e),
            };
            if cli.node.any() {
                return fail("`rayo net` takes no node connection flags (-n, --rpcserver, ...)");
            }
            let result = match verb {
                NetVerb::Up { nodes } => net::up(&home, &network, nodes).map(|()| true),
                NetVerb::Status => net::status(&home, &network),
                NetVerb::Down => net::down(&home, &network).map(|()| true),
            };
            match result {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => fail(&e),
            }
        }
        Command::Node(command) => {
            let home = match home {
                Ok(home) => home,
                Err(e) => return fail(&e),
            };
            let flags = cli.node.merged(node::flags_of(&command).clone());
            match node::run(command, &flags, &home, &network) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_of(argv: &[&str]) -> (String, Vec<String>) {
        let cli = Cli::try_parse_from(argv).unwrap();
        let Command::Chain(args) = cli.command else {
            panic!("not a chain command: {argv:?}")
        };
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
            let Command::Chain(args) = Cli::try_parse_from(argv).unwrap().command else {
                panic!("not a chain command")
            };
            assert_eq!(args.connection.rpcport, Some(18500));
        }
        assert!(Cli::try_parse_from(["rayo", "chain", "--rpcport", "0", "getblockcount"]).is_err());
        assert!(Cli::try_parse_from(["rayo", "chain", "generate", "-5"]).is_err());
    }

    fn parse(argv: &[&str]) -> Cli {
        let mut full = vec!["rayo"];
        full.extend_from_slice(argv);
        Cli::try_parse_from(full).unwrap_or_else(|e| panic!("{argv:?}: {e}"))
    }

    fn chain_connection(argv: &[&str], home: &std::path::Path) -> chain::Connection {
        let cli = parse(argv);
        let Command::Chain(args) = cli.command else {
            panic!("not a chain command")
        };
        args.connection.resolve(Some(home), &cli.network)
    }

    #[test]
    fn chain_datadir_flag_does_not_clash_with_node_flags() {
        let home = std::path::Path::new("/nonexistent-home");
        for argv in [
            &["chain", "--datadir", "/x", "getblockcount"][..],
            &["chain", "getblockcount", "--datadir", "/x"][..],
        ] {
            let c = chain_connection(argv, home);
            assert_eq!(c.datadir, Some(PathBuf::from("/x")));
            assert_eq!(c.rpcport, None);
            assert_eq!(c.start_hint, None);
        }
        let c = chain_connection(
            &["chain", "--rpcserver", "10.0.0.1:1", "getblockcount"],
            home,
        );
        assert_eq!((c.rpcserver.as_str(), c.datadir), ("10.0.0.1:1", None));
        // No flags and no network: the home's chain on the default port.
        let c = chain_connection(&["--home", "/h", "chain", "getblockcount"], home);
        assert_eq!(c.datadir, Some(PathBuf::from("/nonexistent-home/chain")));
        assert_eq!((c.rpcserver.as_str(), c.rpcport), ("127.0.0.1", None));
        for argv in [
            &[
                "chain",
                "--datadir",
                "/x",
                "--rpcserver",
                "h",
                "getblockcount",
            ][..],
            &[
                "chain",
                "getblockcount",
                "--datadir",
                "/x",
                "--rpcserver",
                "h",
            ][..],
        ] {
            assert!(!parse(argv).node.any(), "{argv:?}");
        }
        // Node flags before `chain` are a node's, parsed separately.
        let cli = parse(&[
            "--datadir",
            "/n",
            "chain",
            "--datadir",
            "/c",
            "getblockcount",
        ]);
        assert_eq!(cli.node.datadir, Some(PathBuf::from("/n")));
        let Command::Chain(args) = cli.command else {
            panic!("not a chain command")
        };
        assert_eq!(args.connection.datadir, Some(PathBuf::from("/c")));
    }

    #[test]
    fn chain_uses_the_running_network() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = net::network_dir(tmp.path(), "local");
        std::fs::create_dir_all(&dir).unwrap();
        let write = |state: &str| {
            let json = serde_json::json!({
                "name": "local", "state": state,
                "chain": {"datadir": "/net/chain", "rpcport": 18999, "pid": 0, "log": "/l"},
                "nodes": [],
            });
            std::fs::write(dir.join(net::NETWORK_FILE), json.to_string()).unwrap();
        };
        write("up");
        let c = chain_connection(&["chain", "getblockcount"], tmp.path());
        assert_eq!(c.datadir, Some(PathBuf::from("/net/chain")));
        assert_eq!(c.rpcport, Some(18999));
        assert!(c.start_hint.unwrap().contains("rayo net up"));
        // Explicit flags win.
        let c = chain_connection(
            &["chain", "--rpcport", "18443", "getblockcount"],
            tmp.path(),
        );
        assert_eq!((c.datadir, c.rpcport), (None, Some(18443)));
        // Another network: not this one.
        let c = chain_connection(&["--name", "other", "chain", "getblockcount"], tmp.path());
        assert_eq!(c.datadir, Some(tmp.path().join("chain")));
        write("down");
        let c = chain_connection(&["chain", "getblockcount"], tmp.path());
        assert_eq!(
            (c.datadir, c.rpcport),
            (Some(tmp.path().join("chain")), None)
        );
    }

    fn node_command(argv: &[&str]) -> (node::NodeFlags, node::NodeCommand) {
        let cli = parse(argv);
        let Command::Node(command) = cli.command else {
            panic!("not a node command: {argv:?}")
        };
        (cli.node.merged(node::flags_of(&command).clone()), command)
    }

    #[test]
    fn node_flags_before_or_after_the_verb() {
        let (flags, _) = node_command(&["-n", "alice", "getinfo"]);
        assert_eq!(flags.node.as_deref(), Some("alice"));
        let (flags, _) = node_command(&["getinfo", "--node", "bob"]);
        assert_eq!(flags.node.as_deref(), Some("bob"));
        // After the verb wins.
        let (flags, _) = node_command(&["-n", "alice", "getinfo", "-n", "bob"]);
        assert_eq!(flags.node.as_deref(), Some("bob"));
        let (flags, _) = node_command(&[
            "--rpcserver",
            "127.0.0.1:1",
            "--tlscertpath",
            "/c",
            "--macaroonpath",
            "/t",
            "listpeers",
            "--datadir",
            "/d",
        ]);
        assert_eq!(
            flags,
            node::NodeFlags {
                node: None,
                rpcserver: Some("127.0.0.1:1".into()),
                datadir: Some("/d".into()),
                tlscertpath: Some("/c".into()),
                tokenpath: Some("/t".into()),
            }
        );
        let (flags, _) = node_command(&["--tokenpath", "/t", "stop"]);
        assert_eq!(flags.tokenpath, Some("/t".into()));
        // Global --home and --name anywhere.
        let cli = parse(&["getinfo", "--home", "/h", "--name", "dev"]);
        assert_eq!((cli.home, cli.network.as_str()), ("/h".into(), "dev"));
        let cli = parse(&["net", "up", "--nodes", "a,b,c", "--name", "dev"]);
        assert_eq!(cli.network, "dev");
        let Command::Net(NetArgs {
            verb: NetVerb::Up { nodes },
        }) = cli.command
        else {
            panic!()
        };
        assert_eq!(nodes.unwrap(), ["a", "b", "c"]);
        let cli = parse(&["net", "status"]);
        assert_eq!(cli.network, "local");
    }

    #[test]
    fn lncli_flags_parse() {
        let (_, c) = node_command(&["newaddress", "np2wkh"]);
        assert!(
            matches!(c, node::NodeCommand::Newaddress { address_type, .. } if address_type == "np2wkh")
        );
        let (_, c) = node_command(&["newaddress"]);
        assert!(
            matches!(c, node::NodeCommand::Newaddress { address_type, .. } if address_type == "p2wkh")
        );
        assert!(Cli::try_parse_from(["rayo", "newaddress", "p2pkh"]).is_err());
        for argv in [
            &["walletbalance"][..],
            &["walletbalance", "--witness_only"][..],
            &["walletbalance", "--witness_only=true"][..],
            &["walletbalance", "--witness_only=false"][..],
        ] {
            node_command(argv);
        }
        assert!(Cli::try_parse_from(["rayo", "walletbalance", "--witness_only=maybe"]).is_err());
        let (_, c) = node_command(&["listunspent", "--min_confs", "1", "--max_confs", "100"]);
        assert!(matches!(
            c,
            node::NodeCommand::Listunspent {
                min_confs: Some(1),
                max_confs: Some(100),
                ..
            }
        ));
        let (_, c) = node_command(&["listunspent", "2", "5"]);
        assert!(matches!(
            c,
            node::NodeCommand::Listunspent {
                min_confs_arg: Some(2),
                max_confs_arg: Some(5),
                ..
            }
        ));
        assert!(Cli::try_parse_from(["rayo", "listunspent", "--min_confs", "-1"]).is_err());
        assert!(Cli::try_parse_from([
            "rayo",
            "listunspent",
            "--unconfirmed_only",
            "--min_confs",
            "1"
        ])
        .is_err());
        let (_, c) = node_command(&["listchaintxns", "--start_height", "5", "--end_height", "-1"]);
        assert!(matches!(
            c,
            node::NodeCommand::Listchaintxns {
                start_height: Some(5),
                end_height: Some(-1),
                ..
            }
        ));
        let (_, c) = node_command(&["connect", "02ab@h:1", "--perm", "--timeout", "30s"]);
        assert!(matches!(
            c,
            node::NodeCommand::Connect {
                perm: true,
                timeout: Some(30),
                ..
            }
        ));
        node_command(&["disconnect", "02ab"]);
        node_command(&["disconnect", "--node_key", "02ab"]);
        assert!(Cli::try_parse_from(["rayo", "disconnect"]).is_err());
        assert!(Cli::try_parse_from(["rayo", "connect"]).is_err());
        assert!(Cli::try_parse_from(["rayo", "sendcoins", "a", "5", "--sweepall"]).is_err());
    }

    #[test]
    fn channel_verbs_parse() {
        const PK: &str = "02a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc";
        // Connection flags before or after the verb, positionals in between.
        let (flags, c) = node_command(&["-n", "alice", "openchannel", PK, "1000000"]);
        assert_eq!(flags.node.as_deref(), Some("alice"));
        assert!(matches!(c, node::NodeCommand::Openchannel(_)));
        let (flags, _) = node_command(&[
            "openchannel",
            "--node_key",
            PK,
            "--local_amt",
            "1000000",
            "--connect",
            "127.0.0.1:9736",
            "-n",
            "bob",
        ]);
        assert_eq!(flags.node.as_deref(), Some("bob"));
        let (flags, c) = node_command(&[
            "listchannels",
            "--active_only",
            "--private_only=true",
            "--peer",
            PK,
            "--rpcserver",
            "127.0.0.1:1",
        ]);
        assert_eq!(flags.rpcserver.as_deref(), Some("127.0.0.1:1"));
        assert!(matches!(
            c,
            node::NodeCommand::Listchannels {
                active_only: true,
                inactive_only: false,
                public_only: false,
                private_only: true,
                peer: Some(_),
                ..
            }
        ));
        let (_, c) = node_command(&["listchannels"]);
        assert!(matches!(
            c,
            node::NodeCommand::Listchannels {
                active_only: false,
                peer: None,
                ..
            }
        ));
        let (flags, c) = node_command(&["pendingchannels", "-n", "alice"]);
        assert_eq!(flags.node.as_deref(), Some("alice"));
        assert!(matches!(c, node::NodeCommand::Pendingchannels { .. }));
        assert!(Cli::try_parse_from(["rayo", "pendingchannels", "x"]).is_err());
        assert!(Cli::try_parse_from(["rayo", "listchannels", "--active_only=maybe"]).is_err());
    }
}
