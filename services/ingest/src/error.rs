//! `ApiError`: every failure of the REST API as a status and the contract's error shape.
//!
//! Client mistakes are 4xx with a message meant for the developer of the device app. Server
//! faults are logged here with their cause and answered with a bare 500 or 503 whose body
//! never carries the detail.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::wire::sync::{Conflict, ResolveMovedOn};
use shared::wire::ErrorBody;

use crate::devices::DeviceError;
use crate::store::StoreError;
use crate::sync::cursor::StaleCursor;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the record changed: its sync_version is now {0}")]
    PreconditionFailed(u64),
    /// `accept_client` of a conflict whose record moved on: answered with the new conflict.
    #[error("the record changed after the conflict was reported: its sync_version is now {}", .0.sync_version)]
    MovedOn(Box<Conflict>),
    #[error(transparent)]
    ResyncRequired(#[from] StaleCursor),
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many attempts; retry in {} s", .0.as_secs().max(1))]
    TooManyRequests(Duration),
    #[error("a dependency is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Conflict(_) | ApiError::MovedOn(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PreconditionFailed(_) => {
                (StatusCode::PRECONDITION_FAILED, "version_mismatch")
            }
            ApiError::ResyncRequired(_) => (StatusCode::GONE, "resync_required"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_data"),
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if shared::storage::unavailable(&err) {
            ApiError::Unavailable(err.into())
        } else {
            ApiError::Internal(err.into())
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::DeviceBoundElsewhere => ApiError::Forbidden(err.to_string()),
            StoreError::Database(err) => err.into(),
            StoreError::Unavailable(err) => ApiError::Unavailable(err.into()),
        }
    }
}

impl From<DeviceError> for ApiError {
    fn from(err: DeviceError) -> Self {
        StoreError::from(err).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let body = ErrorBody::new(code, self.to_string());
        let mut response = match self {
            ApiError::MovedOn(conflict) => {
                let body = ResolveMovedOn {
                    error: body.error,
                    conflict: *conflict,
                };
                return (status, Json(body)).into_response();
            }
            _ => (status, Json(body)).into_response(),
        };
        if let ApiError::TooManyRequests(wait) = &self {
            let secs = wait.as_secs().max(1).to_string();
            if let Ok(value) = HeaderValue::from_str(&secs) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
