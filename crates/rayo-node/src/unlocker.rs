//! The seed at rest and how the node gets it back, as lnd does:
//!
//! * the seed's words are stored encrypted ([`crate::secrets`]: argon2id and
//!   ChaCha20-Poly1305) under the wallet password;
//! * `--noseedbackup` (dev mode): created at first start and encrypted under
//!   a fixed, published dev password (lnd does the same with "hello"), so no
//!   one is asked anything;
//! * `--wallet-unlock-password-file`: the password comes from a file
//!   (with `--wallet-unlock-allow-create`, a node without a wallet waits
//!   for `rayo create` instead of failing, as lnd's);
//! * otherwise the node waits, serving lnd's `WalletUnlocker` REST calls
//!   (`GET /v1/genseed`, `POST /v1/initwallet`, `POST /v1/unlockwallet`,
//!   which `rayo create` and `rayo unlock` use) behind the access token; a
//!   wrong password gets a clear error and the node keeps waiting.
//!
//! A plaintext seed left by an older Rayo is encrypted under the first
//! password that unlocks it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::State;
use axum::middleware;
use axum::routing::{get, post};
use axum::{Json, Router};
use rayo_api::types::{
    GenSeedResponse, GrpcCode, InitWalletRequest, InitWalletResponse, Status, UnlockWalletRequest,
    UnlockWalletResponse,
};
use rayo_wallet::Seed;
use tokio::sync::{mpsc, Mutex};

use crate::config::Config;
use crate::rest::ApiError;
use crate::secrets::{self, SecretsError};
use crate::store::StoreHandle;

/// The wallet password of `--noseedbackup` nodes: published, so not a
/// secret, only one format for every node (lnd uses "hello",
/// `lnwallet.DefaultPrivatePassphrase`; ours meets the 8-byte minimum).
pub const DEV_PASSWORD: &[u8] = b"rayo-dev-wallet";

/// What the store holds.
enum Stored {
    None,
    Encrypted(Vec<u8>),
    /// An older Rayo's plaintext words.
    Plaintext(String),
}

async fn stored(store: &StoreHandle) -> anyhow::Result<Stored> {
    Ok(match store.run(|s| s.seed()).await? {
        None => Stored::None,
        Some(blob) if secrets::is_encrypted_seed(&blob) => Stored::Encrypted(blob),
        Some(words) => Stored::Plaintext(
            String::from_utf8(words).context("the stored seed is neither encrypted nor text")?,
        ),
    })
}

/// Encrypts `words` under `password` (fresh salt and nonce); the KDF runs
/// off the async workers.
async fn encrypt(words: String, password: Vec<u8>) -> Result<Vec<u8>, SecretsError> {
    let salt: [u8; 16] = random_array()?;
    let nonce: [u8; 12] = random_array()?;
    tokio::task::spawn_blocking(move || secrets::encrypt_seed(&words, &password, salt, nonce))
        .await
        .unwrap_or(Err(SecretsError::Corrupt {
            reason: "the encryption task failed",
        }))
}

fn random_array<const N: usize>() -> Result<[u8; N], SecretsError> {
    let bytes = crate::entropy::random_32().map_err(|_| SecretsError::Corrupt {
        reason: "no randomness",
    })?;
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    Ok(out)
}

/// Why an unlock attempt failed.
#[derive(Debug, thiserror::Error)]
enum UnlockError {
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error("no wallet yet: create one first (rayo create)")]
    NoWallet,
    #[error("the wallet already exists: unlock it (rayo unlock)")]
    Exists,
    #[error("{0}")]
    BadSeed(String),
    #[error("{0}")]
    Internal(String),
}

/// Decrypts the stored seed with `password` (encrypting a plaintext one
/// under it on the way).
async fn unlock(store: &StoreHandle, password: Vec<u8>) -> Result<Seed, UnlockError> {
    let internal = |e: anyhow::Error| UnlockError::Internal(e.to_string());
    let words = match stored(store).await.map_err(internal)? {
        Stored::None => return Err(UnlockError::NoWallet),
        Stored::Encrypted(blob) => {
            let password = password.clone();
            tokio::task::spawn_blocking(move || {
                secrets::decrypt_seed(&blob, &password).map(|w| w.to_string())
            })
            .await
            .map_err(|e| UnlockError::Internal(e.to_string()))??
        }
        Stored::Plaintext(words) => {
            let blob = encrypt(words.clone(), password).await?;
            store
                .run(move |s| s.replace_seed(&blob))
                .await
                .map_err(|e| UnlockError::Internal(e.to_string()))?;
            tracing::info!("the plaintext seed of an older Rayo is now encrypted");
            words
        }
    };
    Seed::from_mnemonic(&words, "").map_err(|e| UnlockError::BadSeed(e.to_string()))
}

/// Creates the wallet from `words` (new, or a backup) under `password`.
async fn create(
    store: &StoreHandle,
    words: String,
    password: Vec<u8>,
) -> Result<Seed, UnlockError> {
    if !matches!(
        stored(store)
            .await
            .map_err(|e| UnlockError::Internal(e.to_string()))?,
        Stored::None
    ) {
        return Err(UnlockError::Exists);
    }
    let seed = Seed::from_mnemonic(&words, "")
        .map_err(|e| UnlockError::BadSeed(format!("invalid seed words: {e}")))?;
    let blob = encrypt(words, password).await?;
    store
        .run(move |s| s.save_seed(&blob))
        .await
        .map_err(|e| UnlockError::Internal(e.to_string()))?;
    Ok(seed)
}

fn new_words() -> anyhow::Result<String> {
    Ok(Seed::generate(crate::entropy::random_32()?)
        .mnemonic()
        .to_string())
}

/// Gets the seed per the flags (see the module documentation); may wait
/// for `rayo create`/`rayo unlock` on `rest`, with `tls` and `token`.
pub async fn obtain_seed(
    config: &Config,
    store: &StoreHandle,
    rest: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    token: &str,
) -> anyhow::Result<Seed> {
    if config.noseedbackup {
        return dev_seed(config, store).await;
    }
    if let Some(path) = &config.wallet_unlock_password_file {
        let password = secrets::read_password_file(path)?.to_vec();
        return match unlock(store, password).await {
            Ok(seed) => Ok(seed),
            // As lnd: with --wallet-unlock-allow-create, wait for
            // `rayo create` rather than fail.
            Err(UnlockError::NoWallet) if config.wallet_unlock_allow_create => {
                wait_for_password(store, rest, tls, token).await
            }
            Err(UnlockError::NoWallet) => anyhow::bail!(
                "no wallet yet: run rayo create (start with --wallet-unlock-allow-create to wait for it), then restart with {}",
                path.display()
            ),
            Err(e) => Err(anyhow::anyhow!("{e} (from {})", path.display())),
        };
    }
    wait_for_password(store, rest, tls, token).await
}

/// `--noseedbackup`: the dev password; the words of a new wallet also go to
/// `seed.txt`.
async fn dev_seed(config: &Config, store: &StoreHandle) -> anyhow::Result<Seed> {
    match unlock(store, DEV_PASSWORD.to_vec()).await {
        Ok(seed) => Ok(seed),
        Err(UnlockError::NoWallet) => {
            let words = new_words()?;
            let path = config.datadir().join("seed.txt");
            write_private(&path, format!("{words}\n").as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            let seed = create(store, words, DEV_PASSWORD.to_vec()).await?;
            Ok(seed)
        }
        Err(UnlockError::Secrets(SecretsError::WrongPassword)) => anyhow::bail!(
            "this wallet has its own password: start rayod without --noseedbackup and run rayo unlock"
        ),
        Err(e) => Err(e.into()),
    }
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(data)
}

/// The unlocker service's state.
#[derive(Clone)]
struct Unlocker {
    store: StoreHandle,
    token: Arc<str>,
    done: mpsc::Sender<Seed>,
    /// One create/unlock at a time.
    busy: Arc<Mutex<()>>,
}

impl From<UnlockError> for ApiError {
    fn from(e: UnlockError) -> Self {
        let code = match &e {
            UnlockError::Secrets(SecretsError::WrongPassword) => GrpcCode::InvalidArgument,
            UnlockError::Secrets(SecretsError::PasswordTooShort { .. }) => {
                GrpcCode::InvalidArgument
            }
            UnlockError::BadSeed(_) => GrpcCode::InvalidArgument,
            UnlockError::NoWallet | UnlockError::Exists => GrpcCode::FailedPrecondition,
            UnlockError::Secrets(_) | UnlockError::Internal(_) => GrpcCode::Internal,
        };
        ApiError(Status::new(code, e.to_string()))
    }
}

impl Unlocker {
    /// Hands the seed to the waiting daemon.
    async fn unlocked(&self, seed: Seed) {
        let _ = self.done.send(seed).await;
    }
}

async fn gen_seed() -> Result<Json<GenSeedResponse>, ApiError> {
    let words =
        new_words().map_err(|e| ApiError(Status::new(GrpcCode::Internal, e.to_string())))?;
    Ok(Json(GenSeedResponse {
        cipher_seed_mnemonic: words.split(' ').map(str::to_owned).collect(),
        enciphered_seed: Vec::new(),
    }))
}

async fn init_wallet(
    State(unlocker): State<Unlocker>,
    Json(request): Json<InitWalletRequest>,
) -> Result<Json<InitWalletResponse>, ApiError> {
    if !request.aezeed_passphrase.is_empty() {
        return Err(ApiError(Status::new(
            GrpcCode::InvalidArgument,
            "a seed passphrase is not supported: leave it empty",
        )));
    }
    let _busy = unlocker.busy.lock().await;
    let words = request.cipher_seed_mnemonic.join(" ");
    let seed = create(&unlocker.store, words.clone(), request.wallet_password).await?;
    unlocker.unlocked(seed).await;
    Ok(Json(InitWalletResponse::default()))
}

async fn unlock_wallet(
    State(unlocker): State<Unlocker>,
    Json(request): Json<UnlockWalletRequest>,
) -> Result<Json<UnlockWalletResponse>, ApiError> {
    let _busy = unlocker.busy.lock().await;
    let seed = unlock(&unlocker.store, request.wallet_password)
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "unlock refused"))?;
    unlocker.unlocked(seed).await;
    Ok(Json(UnlockWalletResponse::default()))
}

async fn locked() -> ApiError {
    ApiError(Status::new(
        GrpcCode::Unavailable,
        "the wallet is locked: run rayo unlock (or rayo create for a new node)",
    ))
}

/// Serves the unlocker on `rest` until a create or unlock succeeds.
async fn wait_for_password(
    store: &StoreHandle,
    rest: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    token: &str,
) -> anyhow::Result<Seed> {
    let listener = tokio::net::TcpListener::bind(rest)
        .await
        .with_context(|| format!("cannot listen for the REST API on {rest}"))?;
    let address = listener.local_addr()?;
    let (done, mut unlocked) = mpsc::channel(1);
    let state = Unlocker {
        store: store.clone(),
        token: token.into(),
        done,
        busy: Arc::new(Mutex::new(())),
    };
    let app = Router::new()
        .route("/v1/genseed", get(gen_seed))
        .route("/v1/initwallet", post(init_wallet))
        .route("/v1/unlockwallet", post(unlock_wallet))
        .fallback(locked)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state.token),
            crate::rest::require_token,
        ))
        .with_state(state);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::tls::serve_tls(listener, tls, app, async move {
        let _ = stopped.await;
    }));
    let kind = match stored(store).await? {
        Stored::None => "no wallet yet: run rayo create",
        _ => "the wallet is locked: run rayo unlock",
    };
    println!("rayod waiting for its wallet ({kind}): REST https://{address}");
    let result = unlocked
        .recv()
        .await
        .context("the unlocker stopped before the wallet was unlocked");
    let _ = stop.send(());
    server.await.context("the unlocker server failed")?;
    result
}
