//! The REST API: lnd's paths and JSON (via `rayo-api`'s types), behind TLS
//! and an access token sent as lnd clients send their macaroon. Handlers
//! read and change node state only by asking the driver
//! ([`DriverHandle::call`]); peers, the store's peer list and the chain's
//! fee estimates they reach directly. lnd's list filters are applied here,
//! so every lnd client gets what it asked for. Invoices and payments are in
//! the `payments` submodule.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, FeeRate, Network};
use rayo_api::types::{
    AddressType as ApiAddressType, Amount as ApiAmount, Chain, Channel, ChannelBalanceResponse,
    ChannelPoint, CommitmentType, ConnectPeerRequest, ConnectPeerResponse, DisconnectPeerResponse,
    Feature, FeatureMap, GetInfoResponse, GetTransactionsRequest, GrpcCode, Htlc, Initiator,
    ListChannelsRequest, ListChannelsResponse, ListPeersResponse, ListUnspentRequest,
    ListUnspentResponse, NewAddressRequest, NewAddressResponse, OpenChannelRequest, OutPoint, Peer,
    PendingChannel, PendingChannelsResponse, PendingOpenChannel, SendCoinsRequest,
    SendCoinsResponse, Status, StopResponse, Transaction, TransactionDetails, Utxo,
    WaitingCloseChannel, WalletAccountBalance, WalletBalanceResponse,
};
use rayo_channel::commitment::Side;
use rayo_manager::record::{ChannelPhase, FundedChannel};
use rayo_manager::{ChannelRecord, Command, CommandError, OpenChannelCommand, Reply};
use rayo_wallet::AddressType;
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::features::{Feature as WireFeature, Features};
use tokio::sync::{watch, Notify};

use crate::chain_client::{ChainClient, ChainClientError};
use crate::chain_sync::ChainTip;
use crate::driver::DriverHandle;
use crate::peers::{PeerError, Peers};
use crate::store::{SavedPeer, StoreError, StoreHandle};

mod payments;

/// What `getinfo` reports about the node itself.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// Our node id.
    pub node_id: PublicKey,
    /// `--alias`.
    pub alias: String,
    /// The network.
    pub network: Network,
    /// Where we listen for peers.
    pub listen: SocketAddr,
    /// `--externalip`.
    pub externalip: Option<String>,
}

/// What the handlers share.
#[derive(Clone)]
pub struct Api {
    /// The node itself.
    pub info: Arc<NodeInfo>,
    /// The driver, which owns channels and the wallet.
    pub driver: DriverHandle,
    /// The peer layer.
    pub peers: Arc<Peers>,
    /// The store (for the saved peer list).
    pub store: StoreHandle,
    /// The chain (fee estimates).
    pub chain: Arc<ChainClient>,
    /// The chain's tip as last seen by the chain task.
    pub tip: watch::Receiver<Option<ChainTip>>,
    /// Woken by `stop`.
    pub stop: Arc<Notify>,
    /// The access token (hex).
    pub token: Arc<str>,
}

/// An API error: lnd's status body with the matching HTTP code.
#[derive(Debug)]
pub(crate) struct ApiError(pub(crate) Status);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0)).into_response()
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        let code = match &e {
            CommandError::InvalidArgument(_) => GrpcCode::InvalidArgument,
            CommandError::FailedPrecondition(_) => GrpcCode::FailedPrecondition,
            CommandError::Unavailable(_) => GrpcCode::Unavailable,
            CommandError::NotFound(_) => GrpcCode::NotFound,
        };
        ApiError(Status::new(code, e.to_string()))
    }
}

impl From<PeerError> for ApiError {
    fn from(e: PeerError) -> Self {
        let code = match &e {
            PeerError::SelfConnection => GrpcCode::InvalidArgument,
            PeerError::NotConnected(_) => GrpcCode::NotFound,
            _ => GrpcCode::Unavailable,
        };
        ApiError(Status::new(code, e.to_string()))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError(Status::new(GrpcCode::Internal, e.to_string()))
    }
}

impl From<ChainClientError> for ApiError {
    fn from(e: ChainClientError) -> Self {
        ApiError(Status::new(GrpcCode::Unavailable, e.to_string()))
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError(Status::new(GrpcCode::InvalidArgument, message.into()))
}

fn unexpected(reply: Reply) -> ApiError {
    ApiError(Status::new(
        GrpcCode::Internal,
        format!("unexpected answer from the node: {reply:?}"),
    ))
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Refuses a request without the access token (hex, in lnd's macaroon
/// header) before any handler runs.
pub(crate) async fn require_token(
    State(token): State<Arc<str>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let presented = headers
        .get(rayo_api::TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !crate::tls::token_matches(&token, presented) {
        return ApiError(Status::new(
            GrpcCode::Unauthenticated,
            "missing or wrong access token (send it hex-encoded in the Grpc-Metadata-macaroon header)",
        ))
        .into_response();
    }
    next.run(request).await
}

/// The router over `api`.
pub fn router(api: Api) -> Router {
    Router::new()
        .route("/v1/getinfo", get(get_info))
        .route("/v1/newaddress", get(new_address))
        .route("/v1/balance/blockchain", get(wallet_balance))
        .route("/v1/utxos", get(list_unspent))
        .route("/v1/transactions", get(get_transactions).post(send_coins))
        .route("/v1/peers", get(list_peers).post(connect_peer))
        .route("/v1/peers/{pub_key}", delete(disconnect_peer))
        .route("/v1/channels", get(list_channels).post(open_channel))
        .route("/v1/channels/pending", get(pending_channels))
        .route("/v1/channels/transactions", post(payments::send_payment))
        .route("/v1/balance/channels", get(channel_balance))
        .route(
            "/v1/invoices",
            get(payments::list_invoices).post(payments::add_invoice),
        )
        .route("/v1/invoice/{r_hash_str}", get(payments::lookup_invoice))
        .route(
            "/v1/payreq/{pay_req}",
            get(payments::decode_pay_req_handler),
        )
        .route("/v1/payments", get(payments::list_payments))
        .route("/v1/stop", post(stop))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&api.token),
            require_token,
        ))
        .with_state(api)
}

fn feature_map(features: &Features) -> FeatureMap {
    features
        .set_bits()
        .map(|bit| {
            let known = WireFeature::from_bit(bit);
            let name = known.map_or_else(|| "unknown".to_owned(), feature_name);
            (
                bit as u32,
                Feature {
                    name,
                    is_required: bit % 2 == 0,
                    is_known: known.is_some(),
                },
            )
        })
        .collect()
}

fn feature_name(f: WireFeature) -> String {
    match f {
        WireFeature::DataLossProtect => "data-loss-protect",
        WireFeature::UpfrontShutdownScript => "upfront-shutdown-script",
        WireFeature::GossipQueries => "gossip-queries",
        WireFeature::VarOnionOptin => "tlv-onion",
        WireFeature::GossipQueriesEx => "gossip-queries-ex",
        WireFeature::StaticRemoteKey => "static-remote-key",
        WireFeature::PaymentSecret => "payment-addr",
        WireFeature::BasicMpp => "multi-path-payments",
        WireFeature::LargeChannel => "wumbo-channels",
        WireFeature::Anchors => "anchors-zero-fee-htlc-tx",
        WireFeature::RouteBlinding => "route-blinding",
        WireFeature::ShutdownAnySegwit => "shutdown-any-segwit",
        WireFeature::DualFund => "dual-funding",
        WireFeature::Quiesce => "quiescence",
        WireFeature::AttributionData => "attribution-data",
        WireFeature::OnionMessages => "onion-messages",
        WireFeature::ProvideStorage => "provide-storage",
        WireFeature::ChannelType => "explicit-commitment-type",
        WireFeature::ScidAlias => "scid-alias",
        WireFeature::PaymentMetadata => "payment-metadata",
        WireFeature::Zeroconf => "zero-conf",
        WireFeature::SimpleClose => "simple-close",
        WireFeature::Splice => "splice",
    }
    .to_owned()
}

fn network_name(network: bitcoin::Network) -> &'static str {
    match network {
        bitcoin::Network::Bitcoin => "mainnet",
        bitcoin::Network::Testnet => "testnet",
        bitcoin::Network::Signet => "signet",
        _ => "regtest",
    }
}

fn wallet_kind(t: ApiAddressType) -> Result<AddressType, ApiError> {
    match t {
        ApiAddressType::WitnessPubkeyHash => Ok(AddressType::P2wkh),
        ApiAddressType::NestedPubkeyHash => Ok(AddressType::Np2wkh),
        ApiAddressType::TaprootPubkey => Ok(AddressType::P2tr),
        other => Err(invalid(format!(
            "address type {other} is not supported: use p2wkh, np2wkh or p2tr"
        ))),
    }
}

fn api_kind(t: AddressType) -> ApiAddressType {
    match t {
        AddressType::P2wkh => ApiAddressType::WitnessPubkeyHash,
        AddressType::Np2wkh => ApiAddressType::NestedPubkeyHash,
        AddressType::P2tr => ApiAddressType::TaprootPubkey,
    }
}

/// How `getinfo`, `listchannels` and `pendingchannels` see a channel.
enum View<'a> {
    /// Both sides sent `channel_ready`: `listchannels`.
    Open(&'a FundedChannel),
    /// Waiting for the funding to confirm: `pending_open_channels`.
    PendingOpen(&'a FundedChannel),
    /// The funding output is spent: `waiting_close_channels`.
    WaitingClose(&'a FundedChannel, bitcoin::Txid),
    /// Not funded yet: not shown.
    Hidden,
}

fn view(record: &ChannelRecord) -> View<'_> {
    match &record.phase {
        ChannelPhase::AwaitingFundingSigned { .. } => View::Hidden,
        ChannelPhase::Funded(channel) if channel.phase.is_usable() => View::Open(channel),
        ChannelPhase::Funded(channel) => View::PendingOpen(channel),
        ChannelPhase::ClosedOnChain {
            channel,
            spending_txid,
            ..
        } => View::WaitingClose(channel, *spending_txid),
    }
}

async fn channels(api: &Api) -> Result<Vec<ChannelRecord>, ApiError> {
    match api.driver.call(Command::Channels).await? {
        Reply::Channels(list) => Ok(list),
        other => Err(unexpected(other)),
    }
}

fn i64_of(sat: Sat) -> i64 {
    i64::try_from(sat.0).unwrap_or(i64::MAX)
}

fn sat(amount: Amount) -> i64 {
    i64::try_from(amount.to_sat()).unwrap_or(i64::MAX)
}

async fn get_info(State(api): State<Api>) -> ApiResult<GetInfoResponse> {
    let info = &api.info;
    let tip = *api.tip.borrow();
    let synced_to_chain = match api.driver.call(Command::SyncTip).await? {
        Reply::SyncTip(ours) => matches!((ours, tip), (Some(o), Some(t)) if o.hash == t.hash),
        other => return Err(unexpected(other)),
    };
    let (mut active, mut inactive, mut pending) = (0u32, 0u32, 0u32);
    for record in channels(&api).await? {
        match view(&record) {
            View::Open(c) if c.is_usable() && api.peers.is_connected(&record.peer) => active += 1,
            View::Open(_) => inactive += 1,
            View::PendingOpen(_) | View::WaitingClose(..) => pending += 1,
            View::Hidden => {}
        }
    }
    let listen = info.listen;
    let host = info
        .externalip
        .clone()
        .or_else(|| (!listen.ip().is_unspecified()).then(|| listen.to_string()));
    Ok(Json(GetInfoResponse {
        version: format!("{} rayo", env!("CARGO_PKG_VERSION")),
        identity_pubkey: info.node_id.to_string(),
        alias: info.alias.clone(),
        color: "#3399ff".into(),
        num_peers: u32::try_from(api.peers.list().len()).unwrap_or(u32::MAX),
        num_active_channels: active,
        num_inactive_channels: inactive,
        num_pending_channels: pending,
        block_height: tip.map_or(0, |t| t.height),
        block_hash: tip.map(|t| t.hash.to_string()).unwrap_or_default(),
        synced_to_chain,
        testnet: info.network == Network::Testnet,
        chains: vec![Chain {
            chain: "bitcoin".into(),
            network: network_name(info.network).into(),
        }],
        uris: host
            .map(|h| format!("{}@{h}", info.node_id))
            .into_iter()
            .collect(),
        features: feature_map(&Features::rayo_init()),
        ..GetInfoResponse::default()
    }))
}

async fn new_address(
    State(api): State<Api>,
    Query(request): Query<NewAddressRequest>,
) -> ApiResult<NewAddressResponse> {
    let kind = wallet_kind(request.address_type)?;
    match api.driver.call(Command::NewAddress { kind }).await? {
        Reply::Address(address) => Ok(Json(NewAddressResponse {
            address: address.to_string(),
        })),
        other => Err(unexpected(other)),
    }
}

async fn wallet_balance(State(api): State<Api>) -> ApiResult<WalletBalanceResponse> {
    let balance = match api.driver.call(Command::WalletBalance).await? {
        Reply::Balance(b) => b,
        other => return Err(unexpected(other)),
    };
    let account = WalletAccountBalance {
        confirmed_balance: sat(balance.confirmed),
        unconfirmed_balance: sat(balance.unconfirmed),
    };
    Ok(Json(WalletBalanceResponse {
        total_balance: sat(balance.total()),
        confirmed_balance: sat(balance.confirmed),
        unconfirmed_balance: sat(balance.unconfirmed),
        locked_balance: sat(balance.locked),
        reserved_balance_anchor_chan: 0,
        account_balance: BTreeMap::from([("default".to_owned(), account)]),
    }))
}

/// `listunspent` as lnd: outputs with `min_confs..=max_confs`
/// confirmations (so `max_confs` 0 means unconfirmed only).
async fn list_unspent(
    State(api): State<Api>,
    Query(request): Query<ListUnspentRequest>,
) -> ApiResult<ListUnspentResponse> {
    let min_conf =
        u32::try_from(request.min_confs).map_err(|_| invalid("min confirmations must be >= 0"))?;
    let max_conf =
        u32::try_from(request.max_confs).map_err(|_| invalid("max confirmations must be >= 0"))?;
    if min_conf > max_conf {
        return Err(invalid("max confirmations must be >= min confirmations"));
    }
    let utxos = match api
        .driver
        .call(Command::ListUnspent { min_conf, max_conf })
        .await?
    {
        Reply::Unspent(list) => list,
        other => return Err(unexpected(other)),
    };
    Ok(Json(ListUnspentResponse {
        utxos: utxos
            .into_iter()
            .map(|u| Utxo {
                address_type: api_kind(u.derivation.kind),
                address: u.address.to_string(),
                amount_sat: sat(u.amount),
                pk_script: u.script_pubkey.to_hex_string(),
                outpoint: OutPoint {
                    txid_bytes: u.outpoint.txid.to_byte_array().to_vec(),
                    txid_str: u.outpoint.txid.to_string(),
                    output_index: u.outpoint.vout,
                },
                confirmations: i64::from(u.confirmations),
            })
            .collect(),
    }))
}

/// The chain's 6-block fee estimate in sat/kvB (1000 when it has none).
async fn fee_estimate(api: &Api) -> Result<u64, ApiError> {
    Ok(api.chain.fee_estimate(6).await?.unwrap_or(1000))
}

/// The fee rate for `sat_per_vbyte`, or (0) for the estimate
/// `sat_per_kvb`, at least 1 sat/vB.
fn feerate(sat_per_vbyte: u64, sat_per_kvb: u64) -> Result<FeeRate, ApiError> {
    if sat_per_vbyte != 0 {
        return u32::try_from(sat_per_vbyte)
            .map(FeeRate::from_sat_per_vb_u32)
            .map_err(|_| invalid("sat_per_vbyte is too large"));
    }
    Ok(FeeRate::from_sat_per_kwu((sat_per_kvb / 4).max(250)))
}

async fn send_coins(
    State(api): State<Api>,
    Json(request): Json<SendCoinsRequest>,
) -> ApiResult<SendCoinsResponse> {
    let address = parse_address(&api, &request.addr)?;
    let amount = match (request.send_all, request.amount) {
        (true, 0) => None,
        (true, _) => return Err(invalid("amount must not be set when send_all is true")),
        (false, a) => Some(
            u64::try_from(a)
                .ok()
                .filter(|a| *a > 0)
                .map(Amount::from_sat)
                .ok_or_else(|| invalid("amount must be positive (or set send_all)"))?,
        ),
    };
    let sat_per_vbyte = request.sat_per_vbyte;
    let min_conf = if request.spend_unconfirmed {
        0
    } else {
        u32::try_from(request.min_confs.max(1)).unwrap_or(1)
    };
    let command = Command::SendCoins {
        script: address.script_pubkey(),
        amount,
        feerate: match sat_per_vbyte {
            0 => feerate(0, fee_estimate(&api).await?)?,
            given => feerate(given, 0)?,
        },
        min_conf,
    };
    match api.driver.call(command).await? {
        Reply::Sent(txid) => Ok(Json(SendCoinsResponse {
            txid: txid.to_string(),
        })),
        other => Err(unexpected(other)),
    }
}

fn parse_address(api: &Api, text: &str) -> Result<bitcoin::Address, ApiError> {
    let unchecked: bitcoin::Address<bitcoin::address::NetworkUnchecked> = text
        .parse()
        .map_err(|e| invalid(format!("invalid address {text:?}: {e}")))?;
    unchecked.require_network(api.info.network).map_err(|_| {
        invalid(format!(
            "address {text} is not for the {} network",
            network_name(api.info.network)
        ))
    })
}

/// `listchaintxns` as lnd: `start_height..=end_height`; an `end_height` of
/// -1 (or 0) includes unconfirmed transactions, which lnd files at height 0.
fn in_height_range(request: &GetTransactionsRequest, height: Option<u32>) -> bool {
    let end = request.end_height;
    match height {
        None => end <= 0,
        Some(h) => {
            let h = i64::from(h);
            h >= i64::from(request.start_height) && (end <= 0 || h <= i64::from(end))
        }
    }
}

async fn get_transactions(
    State(api): State<Api>,
    Query(request): Query<GetTransactionsRequest>,
) -> ApiResult<TransactionDetails> {
    let txs = match api.driver.call(Command::Transactions).await? {
        Reply::Transactions(list) => list,
        other => return Err(unexpected(other)),
    };
    Ok(Json(TransactionDetails {
        transactions: txs
            .into_iter()
            .filter(|t| in_height_range(&request, t.block_height))
            .map(|t| Transaction {
                tx_hash: t.txid.to_string(),
                amount: t.amount.to_sat(),
                num_confirmations: i32::try_from(t.confirmations).unwrap_or(i32::MAX),
                block_hash: t.block_hash.map(|h| h.to_string()).unwrap_or_default(),
                block_height: t
                    .block_height
                    .map_or(0, |h| i32::try_from(h).unwrap_or(i32::MAX)),
                time_stamp: i64::try_from(t.time).unwrap_or(i64::MAX),
                total_fees: t.fee.map_or(0, sat),
                dest_addresses: t.dest_addresses.iter().map(|a| a.to_string()).collect(),
                raw_tx_hex: bitcoin::consensus::encode::serialize_hex(&t.raw),
                ..Transaction::default()
            })
            .collect(),
    }))
}

fn parse_node_key(text: &str) -> Result<PublicKey, ApiError> {
    text.parse()
        .map_err(|_| invalid(format!("invalid node public key {text:?}")))
}

async fn connect_peer(
    State(api): State<Api>,
    Json(request): Json<ConnectPeerRequest>,
) -> ApiResult<ConnectPeerResponse> {
    let address = rayo_api::address::parse_peer_address(&format!(
        "{}@{}",
        request.addr.pubkey, request.addr.host
    ))
    .map_err(|e| invalid(e.to_string()))?;
    let node_id = parse_node_key(&address.pubkey)?;
    let host = address.host_port().map_err(|e| invalid(e.to_string()))?;
    if let Err(e) = api.peers.connect(node_id, &host).await {
        tracing::info!(peer = %node_id, %host, error = %e, "outgoing connection failed");
        return Err(e.into());
    }
    let saved = SavedPeer {
        pubkey: node_id.to_string(),
        address: host.clone(),
    };
    api.store.run(move |s| s.save_peer(&saved)).await?;
    Ok(Json(ConnectPeerResponse {
        status: format!("connection to {node_id}@{host} initiated"),
    }))
}

async fn list_peers(State(api): State<Api>) -> ApiResult<ListPeersResponse> {
    Ok(Json(ListPeersResponse {
        peers: api
            .peers
            .list()
            .into_iter()
            .map(|p| Peer {
                pub_key: p.node_id.to_string(),
                address: p.address.to_string(),
                bytes_sent: p.bytes_sent,
                bytes_recv: p.bytes_received,
                inbound: p.inbound,
                ping_time: p
                    .ping_time
                    .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX)),
                features: feature_map(&p.features),
                ..Peer::default()
            })
            .collect(),
    }))
}

async fn disconnect_peer(
    State(api): State<Api>,
    Path(pub_key): Path<String>,
) -> ApiResult<DisconnectPeerResponse> {
    let node_id = parse_node_key(&pub_key)?;
    api.peers.disconnect(&node_id)?;
    let key = node_id.to_string();
    api.store.run(move |s| s.forget_peer(&key)).await?;
    Ok(Json(DisconnectPeerResponse {
        status: "disconnect initiated".into(),
    }))
}

async fn stop(State(api): State<Api>) -> ApiResult<StopResponse> {
    api.stop.notify_one();
    Ok(Json(StopResponse {
        status: "shutdown initiated".into(),
    }))
}

async fn open_channel(
    State(api): State<Api>,
    Json(request): Json<OpenChannelRequest>,
) -> ApiResult<ChannelPoint> {
    let key = if request.node_pubkey_string.is_empty() {
        hex::encode(&request.node_pubkey)
    } else {
        request.node_pubkey_string.clone()
    };
    let peer = parse_node_key(&key)?;
    let capacity = u64::try_from(request.local_funding_amount)
        .ok()
        .filter(|a| *a > 0)
        .map(Sat)
        .ok_or_else(|| invalid("local_funding_amount must be positive"))?;
    let push = u64::try_from(request.push_sat)
        .ok()
        .and_then(|p| p.checked_mul(1000))
        .map(Msat)
        .ok_or_else(|| invalid("push_sat must be between 0 and local_funding_amount"))?;
    // One estimate for both fee rates (the commitment's needs it anyway).
    let sat_per_kvb = fee_estimate(&api).await?;
    let funding_feerate = feerate(request.sat_per_vbyte, sat_per_kvb)?;
    let commitment_feerate_per_kw = u32::try_from(sat_per_kvb / 4).unwrap_or(u32::MAX).max(253);
    let command = Command::OpenChannel(OpenChannelCommand {
        peer,
        capacity,
        push,
        announce: !request.private,
        funding_feerate,
        commitment_feerate_per_kw,
    });
    match api.driver.call(command).await? {
        Reply::ChannelOpened(funding) => Ok(Json(ChannelPoint::from_txid_bytes(
            funding.txid.to_byte_array().to_vec(),
            funding.vout,
        ))),
        other => Err(unexpected(other)),
    }
}

fn pending_channel(peer: &PublicKey, channel: &FundedChannel) -> PendingChannel {
    let (local, remote, _) = channel.balances();
    let setup = &channel.phase.setup;
    PendingChannel {
        remote_node_pub: peer.to_string(),
        channel_point: channel.funding().to_string(),
        capacity: i64_of(setup.capacity),
        local_balance: i64_of(local),
        remote_balance: i64_of(remote),
        local_chan_reserve_sat: i64_of(setup.remote.channel_reserve),
        remote_chan_reserve_sat: i64_of(setup.local.channel_reserve),
        initiator: if channel.is_ours() {
            Initiator::Local
        } else {
            Initiator::Remote
        },
        commitment_type: CommitmentType::StaticRemoteKey,
        chan_status_flags: channel.status_flags().into(),
        private: !setup.announce,
        ..PendingChannel::default()
    }
}

/// The HTLCs in flight in our current commitment, as lnd's `HTLC`s
/// (amounts in whole satoshis; locked in once the peer's current commitment
/// has them too).
fn pending_htlcs(channel: &FundedChannel) -> Vec<Htlc> {
    let commitments = &channel.phase.commitments;
    commitments
        .local
        .spec
        .htlcs
        .iter()
        .map(|h| Htlc {
            incoming: h.offerer == Side::Remote,
            amount: i64_of(h.amount.to_sat_floor()),
            hash_lock: h.payment_hash.to_vec(),
            expiration_height: h.cltv_expiry,
            htlc_index: h.id,
            forwarding_channel: 0,
            forwarding_htlc_index: 0,
            locked_in: commitments
                .remote
                .spec
                .htlcs
                .iter()
                .any(|r| r.offerer == h.offerer && r.id == h.id),
        })
        .collect()
}

/// `channelbalance` over every channel: open ones (usable, not failed) by
/// their current commitment, HTLCs in flight as unsettled (ours outgoing,
/// the peer's incoming), and channels waiting to open as pending.
fn channel_balance_of(records: &[ChannelRecord]) -> ChannelBalanceResponse {
    let mut open = [0u64; 4];
    let mut pending = [0u64; 2];
    let add = |sum: &mut u64, msat: Msat| *sum = sum.saturating_add(msat.0);
    for record in records {
        match view(record) {
            View::Open(channel) if channel.is_usable() => {
                let b = channel.phase.balances();
                add(&mut open[0], b.local);
                add(&mut open[1], b.remote);
                add(&mut open[2], b.outgoing_htlcs);
                add(&mut open[3], b.incoming_htlcs);
            }
            View::PendingOpen(channel) if channel.failure.is_none() => {
                let b = channel.phase.balances();
                add(&mut pending[0], b.local);
                add(&mut pending[1], b.remote);
            }
            _ => {}
        }
    }
    ChannelBalanceResponse {
        balance: i64::try_from(open[0] / 1000).unwrap_or(i64::MAX),
        pending_open_balance: i64::try_from(pending[0] / 1000).unwrap_or(i64::MAX),
        local_balance: ApiAmount::from_msat(open[0]),
        remote_balance: ApiAmount::from_msat(open[1]),
        unsettled_local_balance: ApiAmount::from_msat(open[2]),
        unsettled_remote_balance: ApiAmount::from_msat(open[3]),
        pending_open_local_balance: ApiAmount::from_msat(pending[0]),
        pending_open_remote_balance: ApiAmount::from_msat(pending[1]),
        custom_channel_data: Vec::new(),
    }
}

/// `GET /v1/balance/channels`.
async fn channel_balance(State(api): State<Api>) -> ApiResult<ChannelBalanceResponse> {
    Ok(Json(channel_balance_of(&channels(&api).await?)))
}

/// Whether `channel` passes lnd's `listchannels` filters.
fn channel_matches(
    request: &ListChannelsRequest,
    peer: Option<&PublicKey>,
    channel: &Channel,
) -> bool {
    (!request.active_only || channel.active)
        && (!request.inactive_only || !channel.active)
        && (!request.public_only || !channel.private)
        && (!request.private_only || channel.private)
        && peer.is_none_or(|p| channel.remote_pubkey == p.to_string())
}

/// `listchannels` with lnd's filters: `active_only`, `inactive_only`,
/// `public_only`, `private_only`, `peer`.
async fn list_channels(
    State(api): State<Api>,
    Query(request): Query<ListChannelsRequest>,
) -> ApiResult<ListChannelsResponse> {
    if request.active_only && request.inactive_only {
        return Err(invalid(
            "either active_only or inactive_only can be set, not both",
        ));
    }
    if request.public_only && request.private_only {
        return Err(invalid(
            "either public_only or private_only can be set, not both",
        ));
    }
    let peer = match request.peer.as_slice() {
        [] => None,
        bytes => Some(
            PublicKey::from_slice(bytes).map_err(|_| invalid("peer is not a node public key"))?,
        ),
    };
    let records = channels(&api).await?;
    let channels = records
        .iter()
        .filter_map(|record| match view(record) {
            View::Open(channel) => Some((record.peer, channel)),
            _ => None,
        })
        .map(|(peer, channel)| {
            let (local, remote, fee) = channel.balances();
            let balances = channel.phase.balances();
            let setup = &channel.phase.setup;
            let commitments = &channel.phase.commitments;
            let pending_htlcs = pending_htlcs(channel);
            let unsettled = pending_htlcs
                .iter()
                .fold(0i64, |sum, h| sum.saturating_add(h.amount));
            Channel {
                active: channel.is_usable() && api.peers.is_connected(&peer),
                remote_pubkey: peer.to_string(),
                channel_point: channel.funding().to_string(),
                chan_id: channel.phase.short_channel_id.map_or(0, |s| s.0),
                capacity: i64_of(setup.capacity),
                local_balance: i64_of(local),
                remote_balance: i64_of(remote),
                commit_fee: i64_of(fee),
                commit_weight: i64::try_from(balances.weight).unwrap_or(i64::MAX),
                fee_per_kw: i64::from(balances.feerate_per_kw),
                csv_delay: u32::from(setup.remote.to_self_delay),
                private: !setup.announce,
                initiator: setup.opener == Side::Local,
                chan_status_flags: channel.status_flags().into(),
                local_chan_reserve_sat: i64_of(setup.remote.channel_reserve),
                remote_chan_reserve_sat: i64_of(setup.local.channel_reserve),
                static_remote_key: true,
                commitment_type: CommitmentType::StaticRemoteKey,
                push_amount_sat: setup.push.to_sat_floor().0,
                unsettled_balance: unsettled,
                total_satoshis_sent: i64_of(commitments.total_sent.to_sat_floor()),
                total_satoshis_received: i64_of(commitments.total_received.to_sat_floor()),
                num_updates: commitments.local.number,
                pending_htlcs,
                ..Channel::default()
            }
        })
        .filter(|c| channel_matches(&request, peer.as_ref(), c))
        .collect();
    Ok(Json(ListChannelsResponse { channels }))
}

async fn pending_channels(State(api): State<Api>) -> ApiResult<PendingChannelsResponse> {
    let tip = api.tip.borrow().map_or(0, |t| t.height);
    let mut response = PendingChannelsResponse::default();
    for record in channels(&api).await? {
        match view(&record) {
            View::PendingOpen(channel) => {
                let (_, _, fee) = channel.balances();
                // BOLT 2: the fundee forgets an unconfirmed channel 2016
                // blocks after it was funded.
                let expiry = i64::from(channel.funded_at_height)
                    + i64::from(rayo_manager::manager::FUNDING_TIMEOUT_BLOCKS)
                    - i64::from(tip);
                response.pending_open_channels.push(PendingOpenChannel {
                    channel: pending_channel(&record.peer, channel),
                    commit_fee: i64_of(fee),
                    commit_weight: i64::try_from(channel.phase.balances().weight)
                        .unwrap_or(i64::MAX),
                    fee_per_kw: i64::from(channel.phase.balances().feerate_per_kw),
                    funding_expiry_blocks: if channel.is_ours() {
                        0
                    } else {
                        i32::try_from(expiry).unwrap_or(i32::MIN)
                    },
                });
            }
            View::WaitingClose(channel, spending_txid) => {
                let (local, _, _) = channel.balances();
                response.total_limbo_balance += i64_of(local);
                response.waiting_close_channels.push(WaitingCloseChannel {
                    channel: pending_channel(&record.peer, channel),
                    limbo_balance: i64_of(local),
                    closing_txid: spending_txid.to_string(),
                    ..WaitingCloseChannel::default()
                });
            }
            View::Open(_) | View::Hidden => {}
        }
    }
    Ok(Json(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_channels_filters() {
        let a: PublicKey = "02a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc"
            .parse()
            .unwrap();
        let b: PublicKey = "03a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc"
            .parse()
            .unwrap();
        let ch = |active, private, key: &PublicKey| Channel {
            active,
            private,
            remote_pubkey: key.to_string(),
            ..Default::default()
        };
        let all = ListChannelsRequest::default();
        assert!(channel_matches(&all, None, &ch(false, true, &a)));
        let active = ListChannelsRequest {
            active_only: true,
            ..Default::default()
        };
        assert!(channel_matches(&active, None, &ch(true, false, &a)));
        assert!(!channel_matches(&active, None, &ch(false, false, &a)));
        let inactive = ListChannelsRequest {
            inactive_only: true,
            ..Default::default()
        };
        assert!(channel_matches(&inactive, None, &ch(false, false, &a)));
        assert!(!channel_matches(&inactive, None, &ch(true, false, &a)));
        let public = ListChannelsRequest {
            public_only: true,
            ..Default::default()
        };
        assert!(!channel_matches(&public, None, &ch(true, true, &a)));
        let private = ListChannelsRequest {
            private_only: true,
            ..Default::default()
        };
        assert!(channel_matches(&private, None, &ch(true, true, &a)));
        assert!(!channel_matches(&private, None, &ch(true, false, &a)));
        assert!(channel_matches(&all, Some(&a), &ch(true, false, &a)));
        assert!(!channel_matches(&all, Some(&a), &ch(true, false, &b)));
    }

    #[test]
    fn height_ranges() {
        let r = |start, end| GetTransactionsRequest {
            start_height: start,
            end_height: end,
            account: String::new(),
        };
        assert!(in_height_range(&r(0, 0), None));
        assert!(in_height_range(&r(0, 0), Some(500)));
        assert!(in_height_range(&r(0, -1), None));
        assert!(!in_height_range(&r(10, 20), None));
        assert!(!in_height_range(&r(10, 20), Some(9)));
        assert!(in_height_range(&r(10, 20), Some(20)));
        assert!(!in_height_range(&r(10, 20), Some(21)));
        assert!(in_height_range(&r(10, -1), Some(21)));
    }
}
