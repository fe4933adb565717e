//! The REST API: lnd's paths and JSON (via `rayo-api`'s types), behind TLS
//! and an access token sent as lnd clients send their macaroon.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, FeeRate};
use rayo_api::types::{
    AddressType as ApiAddressType, Chain, ConnectPeerRequest, ConnectPeerResponse,
    DisconnectPeerResponse, Feature, FeatureMap, GetInfoResponse, GrpcCode, ListPeersResponse,
    ListUnspentRequest, ListUnspentResponse, NewAddressRequest, NewAddressResponse, OutPoint, Peer,
    SendCoinsRequest, SendCoinsResponse, Status, StopResponse, Transaction, TransactionDetails,
    Utxo, WalletAccountBalance, WalletBalanceResponse,
};
use rayo_api::types::{
    Channel, ChannelPoint, CommitmentType, Initiator, ListChannelsResponse, OpenChannelRequest,
    PendingChannel, PendingChannelsResponse, PendingOpenChannel,
};
use rayo_wallet::AddressType;
use rayo_wire::features::{Feature as WireFeature, Features};

use crate::channels::StoredPhase;
use crate::node::{Node, NodeError};
use crate::peers::{parse_peer_address, PeerError};

/// State the handlers share.
#[derive(Clone)]
struct Api {
    node: Arc<Node>,
    token: Arc<str>,
}

/// An API error: lnd's status body with the matching HTTP code.
struct ApiError(Status);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0)).into_response()
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        let code = match &e {
            NodeError::InvalidArgument(_) => GrpcCode::InvalidArgument,
            NodeError::FailedPrecondition(_) | NodeError::Wallet(_) => GrpcCode::FailedPrecondition,
            NodeError::Chain(_) => GrpcCode::Unavailable,
            NodeError::Peer(PeerError::BadAddress(_) | PeerError::SelfConnection) => {
                GrpcCode::InvalidArgument
            }
            NodeError::Peer(PeerError::NotConnected(_)) => GrpcCode::NotFound,
            NodeError::Peer(_) => GrpcCode::Unavailable,
            NodeError::Store(_) => GrpcCode::Internal,
        };
        ApiError(Status::new(code, e.to_string()))
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError(Status::new(GrpcCode::InvalidArgument, message.into()))
}

type ApiResult<T> = Result<Json<T>, ApiError>;

async fn require_token(
    State(api): State<Api>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let presented = headers
        .get(rayo_api::TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !crate::tls::token_matches(&api.token, presented) {
        return ApiError(Status::new(
            GrpcCode::Unauthenticated,
            "missing or wrong access token (send it hex-encoded in the Grpc-Metadata-macaroon header)",
        ))
        .into_response();
    }
    next.run(request).await
}

/// The router for `node`, accepting requests that carry `token`.
pub fn router(node: Arc<Node>, token: String) -> Router {
    let api = Api {
        node,
        token: token.into(),
    };
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
        .route("/v1/stop", post(stop))
        .layer(middleware::from_fn_with_state(api.clone(), require_token))
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

async fn get_info(State(api): State<Api>) -> ApiResult<GetInfoResponse> {
    let node = &api.node;
    let tip = node.chain_tip();
    let listen = node.config.listen;
    let host = node
        .config
        .externalip
        .clone()
        .or_else(|| (!listen.ip().is_unspecified()).then(|| listen.to_string()));
    Ok(Json(GetInfoResponse {
        version: format!("{} rayo", env!("CARGO_PKG_VERSION")),
        identity_pubkey: node.node_id.to_string(),
        alias: node.config.alias.clone(),
        color: "#3399ff".into(),
        num_peers: node.peers.list().len() as u32,
        block_height: tip.map_or(0, |t| t.height),
        block_hash: tip.map(|t| t.hash.to_string()).unwrap_or_default(),
        synced_to_chain: node.synced_to_chain(),
        testnet: node.network() == bitcoin::Network::Testnet,
        chains: vec![Chain {
            chain: "bitcoin".into(),
            network: network_name(node.network()).into(),
        }],
        uris: host
            .map(|h| format!("{}@{h}", node.node_id))
            .into_iter()
            .collect(),
        features: feature_map(&Features::rayo_init()),
        ..GetInfoResponse::default()
    }))
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

async fn new_address(
    State(api): State<Api>,
    Query(request): Query<NewAddressRequest>,
) -> ApiResult<NewAddressResponse> {
    let address = api.node.new_address(wallet_kind(request.address_type)?)?;
    Ok(Json(NewAddressResponse {
        address: address.to_string(),
    }))
}

fn sat(amount: Amount) -> i64 {
    amount.to_sat() as i64
}

async fn wallet_balance(State(api): State<Api>) -> ApiResult<WalletBalanceResponse> {
    let balance = api.node.with_wallet(|w, tip| w.balance(tip));
    let account = WalletAccountBalance {
        confirmed_balance: sat(balance.confirmed),
        unconfirmed_balance: sat(balance.unconfirmed),
    };
    Ok(Json(WalletBalanceResponse {
        total_balance: sat(balance.confirmed + balance.unconfirmed),
        confirmed_balance: sat(balance.confirmed),
        unconfirmed_balance: sat(balance.unconfirmed),
        locked_balance: sat(balance.locked),
        reserved_balance_anchor_chan: 0,
        account_balance: BTreeMap::from([("default".to_owned(), account)]),
    }))
}

async fn list_unspent(
    State(api): State<Api>,
    Query(request): Query<ListUnspentRequest>,
) -> ApiResult<ListUnspentResponse> {
    let min =
        u32::try_from(request.min_confs).map_err(|_| invalid("min_confs must not be negative"))?;
    let max = match request.max_confs {
        0 => u32::MAX,
        n => u32::try_from(n).map_err(|_| invalid("max_confs must not be negative"))?,
    };
    if min > max {
        return Err(invalid("min_confs must not exceed max_confs"));
    }
    let utxos = api.node.with_wallet(|w, tip| w.list_unspent(tip, min, max));
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

async fn send_coins(
    State(api): State<Api>,
    Json(request): Json<SendCoinsRequest>,
) -> ApiResult<SendCoinsResponse> {
    let address = api.node.parse_address(&request.addr)?;
    let amount = match (request.send_all, request.amount) {
        (true, 0) => None,
        (true, _) => return Err(invalid("amount must not be set when send_all is true")),
        (false, a) if a <= 0 => return Err(invalid("amount must be positive (or set send_all)")),
        (false, a) => Some(Amount::from_sat(a as u64)),
    };
    let feerate = match request.sat_per_vbyte {
        0 => None,
        rate => Some(
            u32::try_from(rate)
                .map(FeeRate::from_sat_per_vb_u32)
                .map_err(|_| invalid("sat_per_vbyte is too large"))?,
        ),
    };
    let min_conf = if request.spend_unconfirmed {
        0
    } else {
        u32::try_from(request.min_confs.max(1)).unwrap_or(1)
    };
    let txid = api
        .node
        .send_coins(&address, amount, feerate, min_conf)
        .await?;
    Ok(Json(SendCoinsResponse {
        txid: txid.to_string(),
    }))
}

async fn get_transactions(State(api): State<Api>) -> ApiResult<TransactionDetails> {
    let txs = api.node.with_wallet(|w, tip| w.transactions(tip));
    Ok(Json(TransactionDetails {
        transactions: txs
            .into_iter()
            .map(|t| Transaction {
                tx_hash: t.txid.to_string(),
                amount: t.amount.to_sat(),
                num_confirmations: t.confirmations as i32,
                block_hash: t.block_hash.map(|h| h.to_string()).unwrap_or_default(),
                block_height: t.block_height.map_or(0, |h| h as i32),
                time_stamp: t.time as i64,
                total_fees: t.fee.map_or(0, sat),
                dest_addresses: t.dest_addresses.iter().map(|a| a.to_string()).collect(),
                raw_tx_hex: bitcoin::consensus::encode::serialize_hex(&t.raw),
                ..Transaction::default()
            })
            .collect(),
    }))
}

async fn connect_peer(
    State(api): State<Api>,
    Json(request): Json<ConnectPeerRequest>,
) -> ApiResult<ConnectPeerResponse> {
    let (node_id, host) =
        parse_peer_address(&format!("{}@{}", request.addr.pubkey, request.addr.host))
            .map_err(NodeError::from)?;
    api.node.connect(node_id, &host).await?;
    Ok(Json(ConnectPeerResponse {
        status: format!("connection to {node_id}@{host} initiated"),
    }))
}

async fn list_peers(State(api): State<Api>) -> ApiResult<ListPeersResponse> {
    Ok(Json(ListPeersResponse {
        peers: api
            .node
            .peers
            .list()
            .into_iter()
            .map(|p| Peer {
                pub_key: p.node_id.to_string(),
                address: p.address.to_string(),
                bytes_sent: p.bytes_sent,
                bytes_recv: p.bytes_received,
                inbound: p.inbound,
                ping_time: p.ping_time.map_or(0, |d| d.as_micros() as i64),
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
    let node_id = pub_key
        .parse()
        .map_err(|_| invalid(format!("invalid public key {pub_key:?}")))?;
    api.node.disconnect(&node_id)?;
    Ok(Json(DisconnectPeerResponse {
        status: "disconnect initiated".into(),
    }))
}

async fn stop(State(api): State<Api>) -> ApiResult<StopResponse> {
    api.node.stop.notify_one();
    Ok(Json(StopResponse {
        status: "shutdown initiated".into(),
    }))
}

async fn open_channel(
    State(api): State<Api>,
    Json(request): Json<OpenChannelRequest>,
) -> ApiResult<ChannelPoint> {
    let key = if request.node_pubkey_string.is_empty() {
        hex_of(&request.node_pubkey)
    } else {
        request.node_pubkey_string.clone()
    };
    let peer: bitcoin::secp256k1::PublicKey = key
        .parse()
        .map_err(|_| invalid(format!("invalid node pubkey {key:?}")))?;
    if request.local_funding_amount <= 0 {
        return Err(invalid("local_funding_amount must be positive"));
    }
    if request.push_sat < 0 || request.push_sat >= request.local_funding_amount {
        return Err(invalid(
            "push_sat must be between 0 and local_funding_amount",
        ));
    }
    let funding = api
        .node
        .open_channel(
            peer,
            rayo_wire::amount::Sat(request.local_funding_amount as u64),
            rayo_wire::amount::Msat(request.push_sat as u64 * 1000),
            !request.private,
            match request.sat_per_vbyte {
                0 => None,
                rate => Some(
                    u32::try_from(rate)
                        .map(FeeRate::from_sat_per_vb_u32)
                        .map_err(|_| invalid("sat_per_vbyte is too large"))?,
                ),
            },
        )
        .await?;
    Ok(Json(ChannelPoint::from_txid_bytes(
        funding.txid.to_byte_array().to_vec(),
        funding.vout,
    )))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The lnd view of a funded channel's numbers.
struct ChannelView {
    capacity: i64,
    local: i64,
    remote: i64,
    fee: i64,
}

fn view(phase: &rayo_channel::channel::Funded) -> ChannelView {
    let (local, remote, fee) = phase.setup.balances_after_fee();
    ChannelView {
        capacity: phase.setup.capacity.0 as i64,
        local: local.0 as i64,
        remote: remote.0 as i64,
        fee: fee.0 as i64,
    }
}

fn funded_channels(
    api: &Api,
) -> Vec<(bitcoin::secp256k1::PublicKey, rayo_channel::channel::Funded)> {
    api.node
        .channel_list()
        .into_iter()
        .filter_map(|entry| match entry.phase {
            StoredPhase::Funded { phase, .. } => Some((entry.peer, phase)),
            StoredPhase::AwaitingFundingSigned { .. } => None,
        })
        .collect()
}

async fn list_channels(State(api): State<Api>) -> ApiResult<ListChannelsResponse> {
    let channels = funded_channels(&api)
        .into_iter()
        .filter(|(_, phase)| phase.is_usable())
        .map(|(peer, phase)| {
            let v = view(&phase);
            let setup = &phase.setup;
            Channel {
                active: api.node.peers.is_connected(&peer),
                remote_pubkey: peer.to_string(),
                channel_point: phase.funding.to_string(),
                chan_id: phase.short_channel_id.map_or(0, |s| s.0),
                capacity: v.capacity,
                local_balance: v.local,
                remote_balance: v.remote,
                commit_fee: v.fee,
                commit_weight: 724,
                fee_per_kw: i64::from(setup.feerate_per_kw),
                csv_delay: u32::from(setup.remote.to_self_delay),
                private: !setup.announce,
                initiator: setup.opener == rayo_channel::commitment::Side::Local,
                chan_status_flags: "ChanStatusDefault".into(),
                local_chan_reserve_sat: setup.remote.channel_reserve.0 as i64,
                remote_chan_reserve_sat: setup.local.channel_reserve.0 as i64,
                static_remote_key: true,
                commitment_type: CommitmentType::StaticRemoteKey,
                push_amount_sat: setup.push.to_sat_floor().0,
                ..Channel::default()
            }
        })
        .collect();
    Ok(Json(ListChannelsResponse { channels }))
}

async fn pending_channels(State(api): State<Api>) -> ApiResult<PendingChannelsResponse> {
    let pending_open_channels = funded_channels(&api)
        .into_iter()
        .filter(|(_, phase)| !phase.is_usable())
        .map(|(peer, phase)| {
            let v = view(&phase);
            let setup = &phase.setup;
            PendingOpenChannel {
                channel: PendingChannel {
                    remote_node_pub: peer.to_string(),
                    channel_point: phase.funding.to_string(),
                    capacity: v.capacity,
                    local_balance: v.local,
                    remote_balance: v.remote,
                    local_chan_reserve_sat: setup.remote.channel_reserve.0 as i64,
                    remote_chan_reserve_sat: setup.local.channel_reserve.0 as i64,
                    initiator: if setup.opener == rayo_channel::commitment::Side::Local {
                        Initiator::Local
                    } else {
                        Initiator::Remote
                    },
                    commitment_type: CommitmentType::StaticRemoteKey,
                    private: !setup.announce,
                    ..PendingChannel::default()
                },
                commit_fee: v.fee,
                commit_weight: 724,
                fee_per_kw: i64::from(setup.feerate_per_kw),
                ..PendingOpenChannel::default()
            }
        })
        .collect();
    Ok(Json(PendingChannelsResponse {
        pending_open_channels,
        ..PendingChannelsResponse::default()
    }))
}
