//! Errors: gRPC status codes and lnd's error body, with the HTTP status
//! grpc-gateway answers with, so lnd clients read Rayo's errors as lnd's.

use serde::{Deserialize, Serialize};

use crate::encoding::int32_number;

proto_enum! {
    /// gRPC status codes, as lnd's error body carries them in `code`.
    GrpcCode ("grpc code") default Ok {
        /// Not an error.
        Ok = 0 => "OK",
        /// The caller cancelled.
        Cancelled = 1 => "CANCELLED",
        /// An error with no better code (lnd uses it for most failures).
        Unknown = 2 => "UNKNOWN",
        /// A bad parameter: the message says which.
        InvalidArgument = 3 => "INVALID_ARGUMENT",
        /// A deadline passed.
        DeadlineExceeded = 4 => "DEADLINE_EXCEEDED",
        /// Something named in the request does not exist.
        NotFound = 5 => "NOT_FOUND",
        /// What the request would create exists already.
        AlreadyExists = 6 => "ALREADY_EXISTS",
        /// The caller may not do this.
        PermissionDenied = 7 => "PERMISSION_DENIED",
        /// Out of some resource.
        ResourceExhausted = 8 => "RESOURCE_EXHAUSTED",
        /// The node is not in a state that allows this (e.g. not enough funds).
        FailedPrecondition = 9 => "FAILED_PRECONDITION",
        /// Aborted, e.g. by a conflict.
        Aborted = 10 => "ABORTED",
        /// A value past the valid range.
        OutOfRange = 11 => "OUT_OF_RANGE",
        /// Not implemented.
        Unimplemented = 12 => "UNIMPLEMENTED",
        /// A bug or broken invariant in the node.
        Internal = 13 => "INTERNAL",
        /// The service is not available right now (e.g. still starting).
        Unavailable = 14 => "UNAVAILABLE",
        /// Unrecoverable data loss.
        DataLoss = 15 => "DATA_LOSS",
        /// Missing or wrong access token.
        Unauthenticated = 16 => "UNAUTHENTICATED",
    }
}

impl GrpcCode {
    /// The HTTP status grpc-gateway answers with for this code.
    pub const fn http_status(self) -> u16 {
        match self {
            GrpcCode::Ok => 200,
            GrpcCode::Cancelled => 499,
            GrpcCode::Unknown => 500,
            GrpcCode::InvalidArgument => 400,
            GrpcCode::DeadlineExceeded => 504,
            GrpcCode::NotFound => 404,
            GrpcCode::AlreadyExists => 409,
            GrpcCode::PermissionDenied => 403,
            GrpcCode::ResourceExhausted => 429,
            GrpcCode::FailedPrecondition => 400,
            GrpcCode::Aborted => 409,
            GrpcCode::OutOfRange => 400,
            GrpcCode::Unimplemented => 501,
            GrpcCode::Internal => 500,
            GrpcCode::Unavailable => 503,
            GrpcCode::DataLoss => 500,
            GrpcCode::Unauthenticated => 401,
        }
    }

    /// A code for an HTTP error status that came without a usable body.
    pub const fn from_http_status(status: u16) -> Self {
        match status {
            400 => GrpcCode::InvalidArgument,
            401 => GrpcCode::Unauthenticated,
            403 => GrpcCode::PermissionDenied,
            404 => GrpcCode::NotFound,
            409 => GrpcCode::Aborted,
            429 => GrpcCode::ResourceExhausted,
            499 => GrpcCode::Cancelled,
            501 => GrpcCode::Unimplemented,
            503 => GrpcCode::Unavailable,
            504 => GrpcCode::DeadlineExceeded,
            _ => GrpcCode::Unknown,
        }
    }
}

/// lnd's error body (`rpcStatus`), sent with the HTTP status of
/// [`GrpcCode::http_status`]: `{"code": 3, "message": "...", "details": []}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Status {
    /// The gRPC code as a number (see [`GrpcCode`]).
    #[serde(with = "int32_number")]
    pub code: i32,
    /// What went wrong, for a person.
    pub message: String,
    /// `google.protobuf.Any` details; lnd sends none.
    pub details: Vec<serde_json::Value>,
}

impl Status {
    /// An error body with this code and message and no details.
    pub fn new(code: GrpcCode, message: impl Into<String>) -> Self {
        Status {
            code: code.number(),
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// The code as a [`GrpcCode`] (`Unknown` for a number that is not one).
    pub fn grpc_code(&self) -> GrpcCode {
        GrpcCode::from_number(self.code).unwrap_or(GrpcCode::Unknown)
    }

    /// The HTTP status to answer with.
    pub fn http_status(&self) -> u16 {
        self.grpc_code().http_status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_body_is_lnds() {
        let status = Status::new(GrpcCode::InvalidArgument, "invalid address type");
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            r#"{"code":3,"message":"invalid address type","details":[]}"#
        );
        assert_eq!(status.http_status(), 400);
        let read: Status = serde_json::from_str(r#"{"code": 16, "message": "no token"}"#).unwrap();
        assert_eq!(read.grpc_code(), GrpcCode::Unauthenticated);
        assert_eq!(
            Status {
                code: 99,
                ..Default::default()
            }
            .grpc_code(),
            GrpcCode::Unknown
        );
    }
}
