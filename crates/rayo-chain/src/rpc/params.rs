//! Positional (or named) JSON-RPC parameters with Bitcoin Core's checks and
//! error codes: wrong count is -1 with the usage, wrong JSON type is -3,
//! a malformed value is -8.

use std::str::FromStr;

use bitcoin::hashes::Hash;
use serde_json::Value;

use super::RpcError;

/// Core's RPC error codes used here.
pub mod code {
    /// Generic error, also "wrong number of parameters" with the usage.
    pub const MISC: i32 = -1;
    /// A parameter has the wrong JSON type.
    pub const TYPE: i32 = -3;
    /// Something asked for does not exist.
    pub const INVALID_ADDRESS_OR_KEY: i32 = -5;
    /// A parameter's value is malformed or out of range.
    pub const INVALID_PARAMETER: i32 = -8;
    /// A transaction or block could not be decoded.
    pub const DESERIALIZATION: i32 = -22;
    /// Missing inputs, fee too high.
    pub const VERIFY_ERROR: i32 = -25;
    /// Rejected by a consensus or policy rule.
    pub const VERIFY_REJECTED: i32 = -26;
    /// Already confirmed.
    pub const VERIFY_ALREADY_IN_CHAIN: i32 = -27;
    /// JSON-RPC: the request is not a valid request object.
    pub const INVALID_REQUEST: i32 = -32600;
    /// JSON-RPC: no such method.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// JSON-RPC: the parameters are invalid.
    pub const INVALID_PARAMS: i32 = -32602;
    /// JSON-RPC: an internal error.
    pub const INTERNAL: i32 = -32603;
    /// JSON-RPC: the body is not JSON.
    pub const PARSE: i32 = -32700;
}

/// The parameters of one call, already checked against the method's count.
pub struct Params {
    values: Vec<Value>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn wrong_type(v: &Value, expected: &str) -> RpcError {
    RpcError::new(
        code::TYPE,
        format!(
            "JSON value of type {} is not of expected type {expected}",
            type_name(v)
        ),
    )
}

impl Params {
    /// Checks and normalizes `raw` (absent, an array, or an object of named
    /// parameters) for a method taking `names`, of which `required` are
    /// mandatory; `usage` is the error message for a wrong count.
    pub fn new(
        raw: Option<&Value>,
        names: &[&str],
        required: usize,
        usage: &str,
    ) -> Result<Self, RpcError> {
        let values = match raw {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(values)) => values.clone(),
            Some(Value::Object(named)) => {
                if let Some(unknown) = named.keys().find(|k| !names.contains(&k.as_str())) {
                    return Err(RpcError::new(
                        code::INVALID_PARAMETER,
                        format!("Unknown named parameter {unknown}"),
                    ));
                }
                let mut values: Vec<Value> = names
                    .iter()
                    .map(|n| named.get(*n).cloned().unwrap_or(Value::Null))
                    .collect();
                while values.last() == Some(&Value::Null) {
                    values.pop();
                }
                values
            }
            Some(_) => {
                return Err(RpcError::new(
                    code::INVALID_REQUEST,
                    "Params must be an array or object",
                ))
            }
        };
        let present = values
            .iter()
            .take(required)
            .filter(|v| !v.is_null())
            .count();
        if values.len() > names.len() || present < required {
            return Err(RpcError::new(code::MISC, usage.to_owned()));
        }
        Ok(Self { values })
    }

    /// The parameter at `i`, if given and not null.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.values.get(i).filter(|v| !v.is_null())
    }

    /// A string parameter.
    pub fn str(&self, i: usize) -> Result<Option<&str>, RpcError> {
        self.get(i)
            .map(|v| v.as_str().ok_or_else(|| wrong_type(v, "string")))
            .transpose()
    }

    /// A mandatory string parameter.
    pub fn required_str(&self, i: usize) -> Result<&str, RpcError> {
        self.str(i)?
            .ok_or_else(|| RpcError::new(code::INVALID_PARAMETER, format!("missing parameter {i}")))
    }

    /// A non-negative integer parameter, or `default`.
    pub fn u64_or(&self, i: usize, default: u64) -> Result<u64, RpcError> {
        match self.get(i) {
            None => Ok(default),
            Some(v) => v.as_u64().ok_or_else(|| match v {
                Value::Number(_) => RpcError::new(
                    code::INVALID_PARAMETER,
                    "Invalid parameter, expected a non-negative integer",
                ),
                _ => wrong_type(v, "number"),
            }),
        }
    }

    /// A boolean parameter, or `default`.
    pub fn bool_or(&self, i: usize, default: bool) -> Result<bool, RpcError> {
        match self.get(i) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| wrong_type(v, "bool")),
        }
    }

    /// A verbosity given as a number or (as older clients send) a boolean.
    pub fn verbosity_or(&self, i: usize, default: u64) -> Result<u64, RpcError> {
        match self.get(i) {
            Some(Value::Bool(b)) => Ok(u64::from(*b)),
            _ => self.u64_or(i, default),
        }
    }

    /// A 64-hex-digit hash (block hash or txid), with Core's messages.
    pub fn hash<H: Hash + FromStr>(&self, i: usize, name: &str) -> Result<H, RpcError> {
        let s = self.required_str(i)?;
        if s.len() != 64 {
            return Err(RpcError::new(
                code::INVALID_PARAMETER,
                format!("{name} must be of length 64 (not {}, for '{s}')", s.len()),
            ));
        }
        H::from_str(s).map_err(|_| {
            RpcError::new(
                code::INVALID_PARAMETER,
                format!("{name} must be hexadecimal string (not '{s}')"),
            )
        })
    }
}
