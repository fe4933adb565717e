//! The node verbs, lncli's names and flags: `rayo getinfo`, `rayo newaddress
//! np2wkh`, `rayo connect <pubkey>@<host>`, ... Each finds the node (`-n NAME`
//! of a local network, `--datadir`, or `--rpcserver` with `--tlscertpath` and
//! `--tokenpath`), calls its REST API through `rayo-api`'s client and prints
//! the answer as lncli does: lnd's JSON, indented by four spaces.
//!
//! By service: [`wallet`], [`peers`], [`channels`] and [`payments`] build
//! their verbs' requests; [`connection`] finds the node and prints its
//! answers (`bytes` fields as hex, as lncli prints them).
//!
//! `sendpayment` and `payinvoice` never ask for confirmation (lncli does
//! without `--force`), so scripts never block; they exit with 1 when the
//! payment failed, after printing lnd's answer.

mod channels;
mod connection;
mod payments;
mod peers;
mod unlocker;
mod wallet;

use std::path::Path;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Subcommand};
use rayo_api::address::{check_pubkey, parse_peer_address, pubkey_bytes};
use rayo_api::types::{
    AddressType, ConnectPeerRequest, GetTransactionsRequest, Invoice, ListChannelsRequest,
    ListInvoiceRequest, ListPaymentsRequest, ListUnspentRequest, NewAddressRequest,
    OpenChannelRequest, SendCoinsRequest, SendRequest,
};
use rayo_api::ClientError;

use channels::{open_channel_request, OpenChannelArgs, OpenChannelOutput};
pub use connection::NodeFlags;
use connection::{client, describe, print_json, print_json_hex, resolve};
use payments::{
    AddInvoiceArgs, DecodePayReqArgs, ListInvoicesArgs, ListPaymentsArgs, LookupInvoiceArgs,
    PayInvoiceArgs, SendPaymentArgs,
};
use peers::{already_connected, parse_duration_secs};
use wallet::{send_coins_request, SendCoinsArgs};

/// The node verbs.
#[derive(Subcommand, Debug)]
pub enum NodeCommand {
    /// Show the node's identity, chain height, peers and addresses
    Getinfo {
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Create a new on-chain address of the wallet
    Newaddress {
        /// The address type: p2wkh (native segwit), np2wkh (segwit nested in
        /// p2sh) or p2tr (taproot)
        #[arg(value_name = "TYPE", default_value = "p2wkh",
              value_parser = ["p2wkh", "np2wkh", "p2tr"])]
        address_type: String,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Show the on-chain wallet balance (confirmed, unconfirmed, locked)
    Walletbalance {
        /// Accepted for lncli compatibility and has no effect: every address
        /// of a Rayo wallet is segwit, so the balance is always witness-only
        #[arg(long = "witness_only", action = ArgAction::Set, num_args = 0..=1,
              require_equals = true, default_value = "false", default_missing_value = "true",
              hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        witness_only: bool,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// List the wallet's unspent outputs (all of them by default)
    Listunspent {
        /// The minimum number of confirmations of an output listed
        #[arg(long = "min_confs", alias = "min-confs", value_name = "N",
              value_parser = clap::value_parser!(i32).range(0..),
              conflicts_with = "min_confs_arg")]
        min_confs: Option<i32>,
        /// The maximum number of confirmations of an output listed (0: no maximum)
        #[arg(long = "max_confs", alias = "max-confs", value_name = "N",
              value_parser = clap::value_parser!(i32).range(0..),
              conflicts_with = "max_confs_arg")]
        max_confs: Option<i32>,
        /// List only outputs without a confirmation
        #[arg(long = "unconfirmed_only", action = ArgAction::Set, num_args = 0..=1,
              require_equals = true, default_value = "false", default_missing_value = "true",
              hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new(),
              conflicts_with_all = ["min_confs", "max_confs", "min_confs_arg", "max_confs_arg"])]
        unconfirmed_only: bool,
        /// --min_confs as lncli's first argument
        #[arg(value_name = "MIN_CONFS", value_parser = clap::value_parser!(i32).range(0..))]
        min_confs_arg: Option<i32>,
        /// --max_confs as lncli's second argument
        #[arg(value_name = "MAX_CONFS", value_parser = clap::value_parser!(i32).range(0..))]
        max_confs_arg: Option<i32>,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Send coins on-chain: --addr A --amt SAT, or --addr A --sweepall
    #[command(after_help = "As in lncli, `rayo sendcoins ADDR AMT` works too.")]
    Sendcoins(SendCoinsArgs),
    /// List the wallet's on-chain transactions
    Listchaintxns {
        /// The lowest block height of a transaction listed
        #[arg(long = "start_height", alias = "start-height", value_name = "HEIGHT",
              value_parser = clap::value_parser!(i32).range(0..))]
        start_height: Option<i32>,
        /// The highest block height of a transaction listed; -1 (or unset)
        /// includes unconfirmed transactions
        #[arg(long = "end_height", alias = "end-height", value_name = "HEIGHT",
              allow_negative_numbers = true,
              value_parser = clap::value_parser!(i32).range(-1..))]
        end_height: Option<i32>,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Connect to a Lightning peer: <pubkey>@<host>[:port] (port 9735 by default)
    Connect {
        /// The peer: its identity public key, `@`, its host and port
        #[arg(value_name = "PUBKEY@HOST[:PORT]")]
        address: String,
        /// Keep reconnecting in the background instead of connecting now
        #[arg(long, action = ArgAction::Set, num_args = 0..=1,
              require_equals = true, default_value = "false", default_missing_value = "true",
              hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        perm: bool,
        /// How long to try to connect, in seconds (30s and 1m work too)
        #[arg(long, value_name = "DURATION", value_parser = parse_duration_secs)]
        timeout: Option<u64>,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Disconnect from a peer
    Disconnect {
        /// The peer's identity public key
        #[arg(
            value_name = "PUBKEY",
            required_unless_present = "node_key",
            conflicts_with = "node_key"
        )]
        pubkey: Option<String>,
        /// The peer's identity public key (lncli's flag form)
        #[arg(long = "node_key", alias = "node-key", value_name = "PUBKEY")]
        node_key: Option<String>,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// List the connected peers
    Listpeers {
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Open a channel to a peer: --node_key PUBKEY --local_amt SAT
    #[command(
        after_help = "As in lncli, `rayo openchannel PUBKEY LOCAL_AMT [PUSH_AMT]` works too.\n\
                            The peer must be connected, or give its address with --connect.\n\
                            Prints the funding transaction's txid and output index once it is broadcast;\n\
                            the channel is listed by `pendingchannels` until it has enough confirmations."
    )]
    Openchannel(OpenChannelArgs),
    /// List the open channels
    Listchannels {
        /// Only channels that are active (the peer is online)
        #[arg(long = "active_only", alias = "active-only", action = ArgAction::Set,
              num_args = 0..=1, require_equals = true, default_value = "false",
              default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        active_only: bool,
        /// Only channels that are not active
        #[arg(long = "inactive_only", alias = "inactive-only", action = ArgAction::Set,
              num_args = 0..=1, require_equals = true, default_value = "false",
              default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        inactive_only: bool,
        /// Only channels announced to the network
        #[arg(long = "public_only", alias = "public-only", action = ArgAction::Set,
              num_args = 0..=1, require_equals = true, default_value = "false",
              default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        public_only: bool,
        /// Only private channels
        #[arg(long = "private_only", alias = "private-only", action = ArgAction::Set,
              num_args = 0..=1, require_equals = true, default_value = "false",
              default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        private_only: bool,
        /// Only channels with this peer (its identity public key)
        #[arg(long, value_name = "PUBKEY")]
        peer: Option<String>,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// List the channels being opened (waiting for confirmations) or closed
    Pendingchannels {
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Show the balance of the open channels: ours, the peers', in HTLCs in
    /// flight, and in channels waiting to open
    Channelbalance {
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Create an invoice: --amt SAT (or --value SAT, or `addinvoice SAT`);
    /// none makes an invoice for any amount
    #[command(
        after_help = "Prints the payment request to give the payer, and the payment hash (r_hash) to look it up."
    )]
    Addinvoice(AddInvoiceArgs),
    /// Show an invoice by its payment hash
    Lookupinvoice(LookupInvoiceArgs),
    /// List the invoices (the 100 newest by default)
    Listinvoices(ListInvoicesArgs),
    /// Decode an invoice (payment request) without paying it
    Decodepayreq(DecodePayReqArgs),
    /// Pay an invoice (--pay_req, or the invoice as argument), or a node
    /// without one (--dest PUBKEY --amt SAT --keysend)
    #[command(
        after_help = "Waits for the payment to succeed or fail and prints lnd's answer; exits with 1 if it failed.\n\
                            Never asks for confirmation (lncli does without --force), so scripts never block."
    )]
    Sendpayment(SendPaymentArgs),
    /// Pay an invoice: `payinvoice <invoice>` (as sendpayment --pay_req)
    #[command(
        after_help = "Waits for the payment to succeed or fail and prints lnd's answer; exits with 1 if it failed.\n\
                            Never asks for confirmation (lncli does without --force), so scripts never block."
    )]
    Payinvoice(PayInvoiceArgs),
    /// List the outgoing payments (the succeeded ones, newest first; add
    /// --include_incomplete for in-flight and failed ones)
    Listpayments(ListPaymentsArgs),
    /// Stop the node
    Stop {
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Create the wallet of a node waiting for one: choose its password,
    /// then write down the 24 words it shows
    Create {
        /// Read the password from standard input (one line) instead of the
        /// terminal
        #[arg(long)]
        stdin: bool,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Unlock the wallet of a node waiting for its password
    Unlock {
        /// Read the password from standard input (one line) instead of the
        /// terminal, as lncli's --stdin
        #[arg(long)]
        stdin: bool,
        #[command(flatten)]
        conn: NodeFlags,
    },
}

/// The connection flags given after the verb.
pub fn flags_of(command: &NodeCommand) -> &NodeFlags {
    verb_and_flags(command).1
}

/// The verb's name as typed (for the examples in messages) and the
/// connection flags given after it.
fn verb_and_flags(command: &NodeCommand) -> (&'static str, &NodeFlags) {
    match command {
        NodeCommand::Getinfo { conn } => ("getinfo", conn),
        NodeCommand::Newaddress { conn, .. } => ("newaddress", conn),
        NodeCommand::Walletbalance { conn, .. } => ("walletbalance", conn),
        NodeCommand::Listunspent { conn, .. } => ("listunspent", conn),
        NodeCommand::Sendcoins(SendCoinsArgs { conn, .. }) => ("sendcoins", conn),
        NodeCommand::Listchaintxns { conn, .. } => ("listchaintxns", conn),
        NodeCommand::Connect { conn, .. } => ("connect", conn),
        NodeCommand::Disconnect { conn, .. } => ("disconnect", conn),
        NodeCommand::Listpeers { conn } => ("listpeers", conn),
        NodeCommand::Openchannel(OpenChannelArgs { conn, .. }) => ("openchannel", conn),
        NodeCommand::Listchannels { conn, .. } => ("listchannels", conn),
        NodeCommand::Pendingchannels { conn } => ("pendingchannels", conn),
        NodeCommand::Channelbalance { conn } => ("channelbalance", conn),
        NodeCommand::Addinvoice(AddInvoiceArgs { conn, .. }) => ("addinvoice", conn),
        NodeCommand::Lookupinvoice(LookupInvoiceArgs { conn, .. }) => ("lookupinvoice", conn),
        NodeCommand::Listinvoices(ListInvoicesArgs { conn, .. }) => ("listinvoices", conn),
        NodeCommand::Decodepayreq(DecodePayReqArgs { conn, .. }) => ("decodepayreq", conn),
        NodeCommand::Sendpayment(SendPaymentArgs { conn, .. }) => ("sendpayment", conn),
        NodeCommand::Payinvoice(PayInvoiceArgs { conn, .. }) => ("payinvoice", conn),
        NodeCommand::Listpayments(ListPaymentsArgs { conn, .. }) => ("listpayments", conn),
        NodeCommand::Stop { conn } => ("stop", conn),
        NodeCommand::Create { conn, .. } => ("create", conn),
        NodeCommand::Unlock { conn, .. } => ("unlock", conn),
    }
}

/// A node verb's request, checked before anything is sent.
#[derive(Debug, PartialEq)]
enum Request {
    GetInfo,
    NewAddress(NewAddressRequest),
    WalletBalance,
    ListUnspent(ListUnspentRequest),
    SendCoins(SendCoinsRequest),
    ListChainTxns(GetTransactionsRequest),
    Connect(ConnectPeerRequest),
    Disconnect(String),
    ListPeers,
    /// Connect first (when `--connect` is given), then open.
    OpenChannel(Option<ConnectPeerRequest>, Box<OpenChannelRequest>),
    ListChannels(ListChannelsRequest),
    PendingChannels,
    ChannelBalance,
    AddInvoice(Box<Invoice>),
    /// The payment hash, hex.
    LookupInvoice(String),
    ListInvoices(ListInvoiceRequest),
    DecodePayReq(String),
    /// `sendpayment` and `payinvoice`.
    SendPayment(Box<SendRequest>),
    ListPayments(ListPaymentsRequest),
    Stop,
    Create {
        stdin: bool,
    },
    Unlock {
        stdin: bool,
    },
}

fn request(command: NodeCommand) -> Result<Request, String> {
    Ok(match command {
        NodeCommand::Getinfo { .. } => Request::GetInfo,
        NodeCommand::Newaddress { address_type, .. } => {
            let address_type = address_type
                .parse::<AddressType>()
                .map_err(|e| e.to_string())?;
            Request::NewAddress(NewAddressRequest {
                address_type,
                account: String::new(),
            })
        }
        NodeCommand::Walletbalance { .. } => Request::WalletBalance,
        NodeCommand::Listunspent {
            min_confs,
            max_confs,
            unconfirmed_only,
            min_confs_arg,
            max_confs_arg,
            ..
        } => {
            let min_confs = min_confs.or(min_confs_arg).unwrap_or(0);
            let max_confs = max_confs.or(max_confs_arg).unwrap_or(0);
            if max_confs != 0 && min_confs > max_confs {
                return Err(format!(
                    "--min_confs ({min_confs}) must not exceed --max_confs ({max_confs})"
                ));
            }
            // As lncli: the node lists min_confs..=max_confs, so "no
            // maximum" is i32::MAX and --unconfirmed_only is 0..=0.
            let (min_confs, max_confs) = match (unconfirmed_only, max_confs) {
                (true, _) => (0, 0),
                (false, 0) => (min_confs, i32::MAX),
                (false, max) => (min_confs, max),
            };
            Request::ListUnspent(ListUnspentRequest {
                min_confs,
                max_confs,
                account: String::new(),
            })
        }
        NodeCommand::Sendcoins(args) => Request::SendCoins(send_coins_request(args)?),
        NodeCommand::Listchaintxns {
            start_height,
            end_height,
            ..
        } => Request::ListChainTxns(GetTransactionsRequest {
            start_height: start_height.unwrap_or(0),
            end_height: end_height.unwrap_or(0),
            account: String::new(),
        }),
        NodeCommand::Connect {
            address,
            perm,
            timeout,
            ..
        } => Request::Connect(ConnectPeerRequest {
            addr: parse_peer_address(&address).map_err(|e| e.to_string())?,
            perm,
            timeout: timeout.unwrap_or(0),
        }),
        NodeCommand::Disconnect {
            pubkey, node_key, ..
        } => {
            let key = pubkey.or(node_key).ok_or("give the peer's public key")?;
            check_pubkey(&key).map_err(|e| e.to_string())?;
            Request::Disconnect(key)
        }
        NodeCommand::Listpeers { .. } => Request::ListPeers,
        NodeCommand::Openchannel(args) => {
            let (connect, open) = open_channel_request(args)?;
            Request::OpenChannel(connect, Box::new(open))
        }
        NodeCommand::Listchannels {
            active_only,
            inactive_only,
            public_only,
            private_only,
            peer,
            ..
        } => {
            if active_only && inactive_only {
                return Err("give --active_only or --inactive_only, not both".to_owned());
            }
            if public_only && private_only {
                return Err("give --public_only or --private_only, not both".to_owned());
            }
            let peer = match peer {
                Some(key) => pubkey_bytes(&key).map_err(|e| e.to_string())?,
                None => Vec::new(),
            };
            Request::ListChannels(ListChannelsRequest {
                active_only,
                inactive_only,
                public_only,
                private_only,
                peer,
                peer_alias_lookup: false,
            })
        }
        NodeCommand::Pendingchannels { .. } => Request::PendingChannels,
        NodeCommand::Channelbalance { .. } => Request::ChannelBalance,
        NodeCommand::Addinvoice(args) => {
            Request::AddInvoice(Box::new(payments::add_invoice_request(args)?))
        }
        NodeCommand::Lookupinvoice(args) => {
            Request::LookupInvoice(payments::lookup_invoice_hash(args)?)
        }
        NodeCommand::Listinvoices(args) => {
            Request::ListInvoices(payments::list_invoices_request(args))
        }
        NodeCommand::Decodepayreq(args) => {
            Request::DecodePayReq(payments::decode_pay_req_text(args)?)
        }
        NodeCommand::Sendpayment(args) => Request::SendPayment(Box::new(
            payments::send_payment_request(args, payments::random_preimage)?,
        )),
        NodeCommand::Payinvoice(args) => {
            Request::SendPayment(Box::new(payments::pay_invoice_request(args)?))
        }
        NodeCommand::Listpayments(args) => {
            Request::ListPayments(payments::list_payments_request(args))
        }
        NodeCommand::Stop { .. } => Request::Stop,
        NodeCommand::Create { stdin, .. } => Request::Create { stdin },
        NodeCommand::Unlock { stdin, .. } => Request::Unlock { stdin },
    })
}

/// Runs one node verb against the node the flags name and prints the answer.
pub fn run(
    command: NodeCommand,
    flags: &NodeFlags,
    home: &Path,
    network: &str,
) -> Result<(), String> {
    let (verb, _) = verb_and_flags(&command);
    // Bad input is refused before any file is read or request sent.
    let request = request(command)?;
    let target = resolve(flags, home, network, verb)?;
    let client = client(&target)?;
    let fail = |e: ClientError| describe(e, &target);
    match request {
        Request::GetInfo => print_json(&client.get_info().map_err(fail)?),
        Request::NewAddress(req) => print_json(&client.new_address(&req).map_err(fail)?),
        Request::WalletBalance => print_json(&client.wallet_balance().map_err(fail)?),
        Request::ListUnspent(req) => print_json(&client.list_unspent(&req).map_err(fail)?),
        Request::SendCoins(req) => print_json(&client.send_coins(&req).map_err(fail)?),
        Request::ListChainTxns(req) => print_json(&client.get_transactions(&req).map_err(fail)?),
        Request::Connect(req) => print_json(&client.connect_peer(&req).map_err(fail)?),
        Request::Disconnect(key) => print_json(&client.disconnect_peer(&key).map_err(fail)?),
        Request::ListPeers => print_json(&client.list_peers().map_err(fail)?),
        Request::OpenChannel(connect, open) => {
            if let Some(connect) = connect {
                match client.connect_peer(&connect) {
                    Ok(_) => {}
                    Err(e) if already_connected(&e) => {}
                    Err(e) => return Err(format!("connecting to the peer: {}", fail(e))),
                }
            }
            let point = client.open_channel(&open).map_err(fail)?;
            print_json(&OpenChannelOutput::from_point(&point)?)
        }
        Request::ListChannels(req) => print_json_hex(
            &client.list_channels_filtered(&req).map_err(fail)?,
            payments::CHANNEL_BYTES,
        ),
        Request::PendingChannels => print_json(&client.pending_channels().map_err(fail)?),
        Request::ChannelBalance => print_json_hex(
            &client.channel_balance().map_err(fail)?,
            payments::CHANNEL_BYTES,
        ),
        Request::AddInvoice(req) => print_json_hex(
            &client.add_invoice(&req).map_err(fail)?,
            payments::INVOICE_BYTES,
        ),
        Request::LookupInvoice(hash) => print_json_hex(
            &client.lookup_invoice(&hash).map_err(fail)?,
            payments::INVOICE_BYTES,
        ),
        Request::ListInvoices(req) => print_json_hex(
            &client.list_invoices(&req).map_err(fail)?,
            payments::INVOICE_BYTES,
        ),
        Request::DecodePayReq(text) => print_json_hex(
            &client.decode_pay_req(&text).map_err(fail)?,
            payments::PAY_REQ_BYTES,
        ),
        Request::SendPayment(req) => {
            let answer = client.send_payment_sync(&req).map_err(fail)?;
            print_json_hex(&answer, payments::SEND_BYTES)?;
            match answer.payment_error.as_str() {
                "" => Ok(()),
                error => Err(format!("payment failed: {error}")),
            }
        }
        Request::ListPayments(req) => print_json_hex(
            &client.list_payments(&req).map_err(fail)?,
            payments::PAYMENTS_BYTES,
        ),
        Request::Stop => print_json(&client.stop().map_err(fail)?),
        Request::Create { stdin } => unlocker::create(&client, stdin, fail),
        Request::Unlock { stdin } => unlocker::unlock(&client, stdin, fail),
    }
}

#[cfg(test)]
mod tests {
    use clap::{Parser as _, Subcommand as _};

    use super::*;

    #[test]
    fn verb_names_are_claps() {
        #[derive(clap::Parser)]
        struct T {
            #[command(subcommand)]
            command: NodeCommand,
        }
        let pk = "02a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc";
        let address = format!("{pk}@h");
        let hash = "ab".repeat(32);
        for argv in [
            &["getinfo"][..],
            &["newaddress"],
            &["walletbalance"],
            &["listunspent"],
            &["sendcoins"],
            &["listchaintxns"],
            &["connect", &address],
            &["disconnect", pk],
            &["listpeers"],
            &["openchannel"],
            &["listchannels"],
            &["pendingchannels"],
            &["channelbalance"],
            &["addinvoice"],
            &["lookupinvoice", &hash],
            &["listinvoices"],
            &["decodepayreq", "lnbcrt1"],
            &["sendpayment"],
            &["payinvoice", "lnbcrt1"],
            &["listpayments"],
            &["stop"],
            &["create"],
            &["unlock", "--stdin"],
        ] {
            let t = T::try_parse_from(std::iter::once("t").chain(argv.iter().copied())).unwrap();
            let (verb, _) = verb_and_flags(&t.command);
            assert_eq!(verb, argv[0]);
            assert!(NodeCommand::has_subcommand(verb), "{verb}");
        }
    }
}
