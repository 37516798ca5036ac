//! The error rows of the OpenAPI document, each written once: a handler's
//! `responses(..)` names the rows it can answer next to its own success row.

use shared::wire::ErrorBody;
use utoipa::IntoResponses;

#[derive(IntoResponses)]
#[response(status = 400, description = "bad input")]
pub struct BadInput(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 401, description = "missing, invalid or expired token")]
pub struct Unauthenticated(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 403, description = "outside your scope")]
pub struct OutOfScope(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 404, description = "not found")]
pub struct NotFound(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 412, description = "If-Match does not match the sync_version")]
pub struct VersionMismatch(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 413, description = "body larger than 1 MiB")]
pub struct TooLarge(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 415, description = "body is not JSON")]
pub struct NotJson(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 422, description = "invalid record data")]
pub struct InvalidData(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 429, description = "rate limited (Retry-After)")]
pub struct RateLimited(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 503, description = "a dependency is down")]
pub struct Unavailable(pub ErrorBody);
