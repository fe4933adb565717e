//! A client for any Bitcoin Core compatible JSON-RPC (rayo-chaind or a real
//! bitcoind): the node's only view of the chain.
//!
//! Calls run on tokio's blocking pool through `ureq`, so a slow chain never
//! stalls the node's async tasks.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
use bitcoin::{Block, BlockHash, Transaction, Txid};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// How to log in to the chain's RPC.
#[derive(Debug, Clone)]
pub enum ChainAuth {
    /// `--bitcoind.rpcuser` / `--bitcoind.rpcpass`.
    UserPass(String, String),
    /// `--bitcoind.rpccookie`: read at every call, since bitcoind rewrites
    /// it when it restarts.
    Cookie(PathBuf),
}

/// Why a chain call failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainClientError {
    /// The chain's RPC is unreachable.
    #[error("cannot reach the chain at {url}: {reason}")]
    Unreachable {
        /// The RPC URL.
        url: String,
        /// What the connection attempt said.
        reason: String,
    },
    /// The credentials were refused (HTTP 401).
    #[error("the chain at {0} refused our credentials")]
    Unauthorized(String),
    /// The cookie file could not be read.
    #[error("cannot read the chain's cookie {path}: {reason}")]
    Cookie {
        /// The cookie path.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The chain answered with an RPC error.
    #[error("chain RPC error {code}: {message}")]
    Rpc {
        /// Core's error code.
        code: i64,
        /// Core's message.
        message: String,
    },
    /// The answer did not have the expected shape.
    #[error("unexpected answer to {method}: {reason}")]
    Decode {
        /// The method called.
        method: String,
        /// What was wrong.
        reason: String,
    },
}

/// Summary of `getblockchaininfo`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ChainInfo {
    /// "main", "test", "signet" or "regtest".
    pub chain: String,
    /// Height of the tip.
    pub blocks: u32,
    /// Hash of the tip.
    pub bestblockhash: BlockHash,
    /// Still catching up.
    #[serde(default)]
    pub initialblockdownload: bool,
}

/// A JSON-RPC client for one chain endpoint.
#[derive(Clone)]
pub struct ChainClient {
    url: String,
    auth: ChainAuth,
    agent: ureq::Agent,
}

impl ChainClient {
    /// A client for `host:port` (scheme optional).
    pub fn new(host: &str, auth: ChainAuth) -> Arc<Self> {
        let url = if host.contains("://") {
            host.to_owned()
        } else {
            format!("http://{host}/")
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Arc::new(Self { url, auth, agent })
    }

    fn credentials(&self) -> Result<String, ChainClientError> {
        let plain = match &self.auth {
            ChainAuth::UserPass(user, pass) => format!("{user}:{pass}"),
            ChainAuth::Cookie(path) => std::fs::read_to_string(path)
                .map(|s| s.trim().to_owned())
                .map_err(|e| ChainClientError::Cookie {
                path: path.clone(),
                reason: e.to_string(),
            })?,
        };
        Ok(base64::engine::general_purpose::STANDARD.encode(plain))
    }

    fn call_blocking(&self, method: &str, params: Value) -> Result<Value, ChainClientError> {
        let body = json!({"jsonrpc": "1.0", "id": "rayod", "method": method, "params": params});
        let response = self
            .agent
            .post(&self.url)
            .header("Authorization", &format!("Basic {}", self.credentials()?))
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes());
        let mut response = response.map_err(|e| ChainClientError::Unreachable {
            url: self.url.clone(),
            reason: e.to_string(),
        })?;
        if response.status().as_u16() == 401 {
            return Err(ChainClientError::Unauthorized(self.url.clone()));
        }
        let decode = |reason: String| ChainClientError::Decode {
            method: method.to_owned(),
            reason,
        };
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| decode(e.to_string()))?;
        let reply: Value = serde_json::from_str(&text).map_err(|e| decode(e.to_string()))?;
        if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
            return Err(ChainClientError::Rpc {
                code: error["code"].as_i64().unwrap_or(0),
                message: error["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        Ok(reply.get("result").cloned().unwrap_or(Value::Null))
    }

    /// Calls `method` and decodes its result.
    pub async fn call<T: DeserializeOwned + Send + 'static>(
        self: &Arc<Self>,
        method: &'static str,
        params: Value,
    ) -> Result<T, ChainClientError> {
        let this = Arc::clone(self);
        let value = tokio::task::spawn_blocking(move || this.call_blocking(method, params))
            .await
            .map_err(|e| ChainClientError::Decode {
                method: method.to_owned(),
                reason: e.to_string(),
            })??;
        serde_json::from_value(value).map_err(|e| ChainClientError::Decode {
            method: method.to_owned(),
            reason: e.to_string(),
        })
    }

    /// `getblockchaininfo`.
    pub async fn chain_info(self: &Arc<Self>) -> Result<ChainInfo, ChainClientError> {
        self.call("getblockchaininfo", json!([])).await
    }

    /// `getblockhash`.
    pub async fn block_hash(self: &Arc<Self>, height: u32) -> Result<BlockHash, ChainClientError> {
        self.call("getblockhash", json!([height])).await
    }

    /// `getblock <hash> 0`, decoded.
    pub async fn block(self: &Arc<Self>, hash: BlockHash) -> Result<Block, ChainClientError> {
        let hex: String = self.call("getblock", json!([hash, 0])).await?;
        deserialize_hex(&hex).map_err(|e| ChainClientError::Decode {
            method: "getblock".into(),
            reason: e.to_string(),
        })
    }

    /// `getrawmempool`.
    pub async fn mempool(self: &Arc<Self>) -> Result<Vec<Txid>, ChainClientError> {
        self.call("getrawmempool", json!([])).await
    }

    /// `getrawtransaction <txid>`, decoded; `None` when unknown (-5).
    pub async fn transaction(
        self: &Arc<Self>,
        txid: Txid,
    ) -> Result<Option<Transaction>, ChainClientError> {
        match self
            .call::<String>("getrawtransaction", json!([txid]))
            .await
        {
            Ok(hex) => deserialize_hex(&hex)
                .map(Some)
                .map_err(|e| ChainClientError::Decode {
                    method: "getrawtransaction".into(),
                    reason: e.to_string(),
                }),
            Err(ChainClientError::Rpc { code: -5, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Where a transaction confirmed: its block's hash and height, from
    /// `getrawtransaction <txid> true` and `getblockheader`; `None` when
    /// unknown or unconfirmed.
    pub async fn transaction_block(
        self: &Arc<Self>,
        txid: Txid,
    ) -> Result<Option<(BlockHash, u32)>, ChainClientError> {
        let answer: Value = match self.call("getrawtransaction", json!([txid, true])).await {
            Ok(answer) => answer,
            Err(ChainClientError::Rpc { code: -5, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(hash) = answer["blockhash"].as_str() else {
            return Ok(None);
        };
        let decode = |reason: String| ChainClientError::Decode {
            method: "getrawtransaction".into(),
            reason,
        };
        let hash: BlockHash = hash.parse().map_err(|e| decode(format!("{e}")))?;
        let header: Value = self.call("getblockheader", json!([hash, true])).await?;
        let height = header["height"]
            .as_u64()
            .and_then(|h| u32::try_from(h).ok())
            .ok_or_else(|| decode("no block height".into()))?;
        Ok(Some((hash, height)))
    }

    /// `sendrawtransaction`.
    pub async fn broadcast(self: &Arc<Self>, tx: &Transaction) -> Result<Txid, ChainClientError> {
        self.call("sendrawtransaction", json!([serialize_hex(tx)]))
            .await
    }

    /// `estimatesmartfee <target>` in sat/kvB, if the chain has an estimate.
    pub async fn fee_estimate(
        self: &Arc<Self>,
        target: u32,
    ) -> Result<Option<u64>, ChainClientError> {
        let answer: Value = self.call("estimatesmartfee", json!([target])).await?;
        Ok(sat_per_kvb(&answer["feerate"]))
    }
}

/// `estimatesmartfee`'s `feerate` (BTC per kvB, a JSON number) in sat/kvB:
/// checked, never a truncating cast; negative, fractional-satoshi overflow
/// or absurd values give `None`.
fn sat_per_kvb(feerate: &Value) -> Option<u64> {
    feerate
        .as_f64()
        .and_then(|btc| bitcoin::Amount::from_btc(btc).ok())
        .map(|fee| fee.to_sat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_rates_are_read_without_truncating_casts() {
        assert_eq!(sat_per_kvb(&json!(0.00001)), Some(1000));
        assert_eq!(sat_per_kvb(&json!(0.00012345)), Some(12345));
        // What `as u64` used to turn into 0 or u64::MAX silently.
        assert_eq!(sat_per_kvb(&json!(-0.0001)), None);
        assert_eq!(sat_per_kvb(&json!(1e30)), None);
        assert_eq!(sat_per_kvb(&json!("0.0001")), None);
        assert_eq!(sat_per_kvb(&Value::Null), None);
    }
}
