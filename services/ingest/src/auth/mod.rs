//! `POST /api/auth/login`, `POST /api/auth/refresh` and `GET /api/auth/me`.

pub mod limiter;
pub mod refresh;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use shared::token::Principal;
use shared::wire::auth::{LoginRequest, RefreshRequest, TokenResponse, UserInfo, WhoAmI};

use crate::accounts::{self, User};
use crate::error::ApiError;
use crate::extract::{ApiJson, Caller};
use crate::password;
use crate::responses;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/refresh", post(refresh_token))
        .route("/api/auth/me", get(me))
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "the caller", body = WhoAmI),
        responses::Unauthenticated,
    ))]
pub async fn me(Caller(caller): Caller) -> Json<WhoAmI> {
    Json(WhoAmI {
        user_id: caller.user_id,
        client_id: caller.client_id,
        branch_id: caller.branch_id,
        role: caller.role,
    })
}

const BAD_CREDENTIALS: ApiError = ApiError::Unauthorized("invalid username or password");

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "tokens", body = TokenResponse),
        responses::BadInput,
        responses::Unauthenticated,
        responses::TooLarge,
        responses::NotJson,
        responses::RateLimited,
        responses::Unavailable,
    ))]
pub async fn login(
    State(state): State<AppState>,
    connect_info: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let address = client_address(
        &state,
        connect_info.map(|Extension(info)| info.0.ip()),
        &headers,
    );
    let account = request.username.trim().to_lowercase();
    let limits = &state.login_limits;
    let locked = [
        limits.per_account.retry_after(&account),
        limits.per_address.retry_after(&address),
    ];
    if let Some(wait) = locked.into_iter().flatten().max() {
        return Err(ApiError::TooManyRequests(wait));
    }

    let user = accounts::find_by_username(state.pool(), request.username.trim()).await?;
    let stored = user.as_ref().map(|user| user.password_hash.clone());
    let password = request.password;
    let matches = password::verify_limited(password, stored).await?;

    match user {
        Some(user) if matches && !user.disabled => {
            limits.per_account.clear(&account);
            // Someone at this address knows a password: its typos so far were not guessing.
            limits.per_address.clear(&address);
            tracing::info!(user_id = user.id, "login succeeded");
            Ok(Json(tokens_for(&state, &user).await?))
        }
        _ => {
            limits.per_account.record_failure(&account);
            limits.per_address.record_failure(&address);
            tracing::info!("login failed");
            Err(BAD_CREDENTIALS)
        }
    }
}

#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "new tokens", body = TokenResponse),
        responses::BadInput,
        responses::Unauthenticated,
        responses::TooLarge,
        responses::NotJson,
        responses::Unavailable,
    ))]
pub async fn refresh_token(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    const INVALID: ApiError = ApiError::Unauthorized("invalid or expired refresh token");
    let user_id = refresh::redeem(state.pool(), &request.refresh_token)
        .await?
        .ok_or(INVALID)?;
    let user = accounts::find_by_id(state.pool(), user_id)
        .await?
        .ok_or(INVALID)?;
    if user.disabled {
        return Err(INVALID);
    }
    Ok(Json(tokens_for(&state, &user).await?))
}

async fn tokens_for(state: &AppState, user: &User) -> Result<TokenResponse, ApiError> {
    let principal = Principal {
        user_id: user.id,
        client_id: user.client_id,
        branch_id: user.branch_id,
        role: user.role,
    };
    let refresh_token = refresh::issue(state.pool(), user.id, state.refresh_ttl).await?;
    Ok(TokenResponse {
        access_token: state.keys.issue(&principal),
        refresh_token,
        expires_in: state.keys.ttl().as_secs(),
        user: UserInfo {
            id: user.id,
            username: user.username.clone(),
            role: user.role,
            client_id: user.client_id,
            branch_id: user.branch_id,
        },
    })
}

/// The peer's address, or the first `X-Forwarded-For` entry when ingest sits behind a proxy
/// it is configured to trust.
fn client_address(state: &AppState, peer: Option<IpAddr>, headers: &HeaderMap) -> String {
    let forwarded = state
        .trust_forwarded_for
        .then(|| {
            headers
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .split(',')
                .next()?
                .trim()
                .parse::<IpAddr>()
                .ok()
        })
        .flatten();
    forwarded
        .or(peer)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}
