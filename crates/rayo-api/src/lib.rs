//! Rayo's REST API as a library: the request and response types, with lnd's
//! REST paths, field names and proto3 JSON encodings so that lnd REST clients
//! work against `rayod`, and a blocking HTTPS [`Client`] that `rayo` (the CLI)
//! uses to talk to a node.
//!
//! This crate knows nothing of the node's internals (DESIGN.md, layering).
//! Input both sides check alike, such as a peer's `<pubkey>@<host>[:port]`,
//! is parsed in [`address`].
//!
//! | call | path | request | response |
//! |---|---|---|---|
//! | getinfo | `GET /v1/getinfo` | | [`GetInfoResponse`](types::GetInfoResponse) |
//! | newaddress | `GET /v1/newaddress?type=` | [`NewAddressRequest`](types::NewAddressRequest) | [`NewAddressResponse`](types::NewAddressResponse) |
//! | walletbalance | `GET /v1/balance/blockchain` | | [`WalletBalanceResponse`](types::WalletBalanceResponse) |
//! | listunspent | `GET /v1/utxos?min_confs=&max_confs=` | [`ListUnspentRequest`](types::ListUnspentRequest) | [`ListUnspentResponse`](types::ListUnspentResponse) |
//! | sendcoins | `POST /v1/transactions` | [`SendCoinsRequest`](types::SendCoinsRequest) | [`SendCoinsResponse`](types::SendCoinsResponse) |
//! | listchaintxns | `GET /v1/transactions` | [`GetTransactionsRequest`](types::GetTransactionsRequest) | [`TransactionDetails`](types::TransactionDetails) |
//! | connect | `POST /v1/peers` | [`ConnectPeerRequest`](types::ConnectPeerRequest) | [`ConnectPeerResponse`](types::ConnectPeerResponse) |
//! | listpeers | `GET /v1/peers` | | [`ListPeersResponse`](types::ListPeersResponse) |
//! | disconnect | `DELETE /v1/peers/{pub_key}` | | [`DisconnectPeerResponse`](types::DisconnectPeerResponse) |
//! | openchannel | `POST /v1/channels` | [`OpenChannelRequest`](types::OpenChannelRequest) | [`ChannelPoint`](types::ChannelPoint) |
//! | listchannels | `GET /v1/channels?active_only=&inactive_only=&public_only=&private_only=&peer=` | [`ListChannelsRequest`](types::ListChannelsRequest) | [`ListChannelsResponse`](types::ListChannelsResponse) |
//! | pendingchannels | `GET /v1/channels/pending` | | [`PendingChannelsResponse`](types::PendingChannelsResponse) |
//! | channelbalance | `GET /v1/balance/channels` | | [`ChannelBalanceResponse`](types::ChannelBalanceResponse) |
//! | addinvoice | `POST /v1/invoices` | [`Invoice`](types::Invoice) | [`AddInvoiceResponse`](types::AddInvoiceResponse) |
//! | listinvoices | `GET /v1/invoices?pending_only=&index_offset=&num_max_invoices=&reversed=` | [`ListInvoiceRequest`](types::ListInvoiceRequest) | [`ListInvoiceResponse`](types::ListInvoiceResponse) |
//! | lookupinvoice | `GET /v1/invoice/{r_hash_str}` (hex) | | [`Invoice`](types::Invoice) |
//! | decodepayreq | `GET /v1/payreq/{pay_req}` | | [`PayReq`](types::PayReq) |
//! | sendpayment, payinvoice | `POST /v1/channels/transactions` | [`SendRequest`](types::SendRequest) | [`SendResponse`](types::SendResponse) |
//! | listpayments | `GET /v1/payments?include_incomplete=&index_offset=&max_payments=&reversed=&count_total_payments=` | [`ListPaymentsRequest`](types::ListPaymentsRequest) | [`ListPaymentsResponse`](types::ListPaymentsResponse) |
//! | stop | `POST /v1/stop` | [`StopRequest`](types::StopRequest) | [`StopResponse`](types::StopResponse) |
//!
//! Errors are lnd's body [`Status`](types::Status) with the HTTP status
//! grpc-gateway gives its code ([`GrpcCode::http_status`](types::GrpcCode::http_status)).

pub mod address;
pub mod client;
pub mod encoding;
pub mod types;

pub use client::{read_token_file, Client, ClientError, TLS_CERT_FILE, TOKEN_FILE, TOKEN_HEADER};
