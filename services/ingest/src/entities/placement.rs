//! The body of `POST /api/{table}` and the branch a created record lives in: the caller's
//! own branch, or another branch of its client that a super admin names.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::registry::{Scope, Table};
use sqlx::MySqlPool;

use crate::error::ApiError;
use crate::scope::CallerScope;

/// `POST /api/{table}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntityCreate {
    /// The id to create; a UUID is made when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    pub record_id: Option<String>,
    /// Branch tables only: the branch the record lives in, by default the caller's own. A
    /// super admin may name any branch of its client; admins and cashiers only their own
    /// (403 otherwise). Must be absent or `null` for tables shared by every branch (400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub branch_id: Option<u64>,
    #[schema(value_type = Object)]
    pub data: Value,
}

/// The branch a create places its record in, when one is named and allowed; `None`: the
/// caller's own. The caller stays the author (its device and its sync queue row keep its branch).
pub async fn placed(
    pool: &MySqlPool,
    scope: &CallerScope,
    table: &Table,
    branch_id: Option<u64>,
) -> Result<Option<u64>, ApiError> {
    let Some(branch_id) = branch_id else {
        return Ok(None);
    };
    if table.scope == Scope::Client {
        return Err(ApiError::BadRequest(format!(
            "{} is shared by every branch of the client; send no branch_id",
            table.name
        )));
    }
    let allowed = if scope.whole_client {
        is_branch_of(pool, scope.client_id, branch_id).await?
    } else {
        branch_id == scope.branch_id
    };
    if !allowed {
        return Err(ApiError::Forbidden(format!(
            "branch {branch_id} is outside your scope"
        )));
    }
    Ok(Some(branch_id))
}

async fn is_branch_of(pool: &MySqlPool, client_id: u64, branch_id: u64) -> sqlx::Result<bool> {
    let found: Option<u64> =
        sqlx::query_scalar("SELECT id FROM branches WHERE id = ? AND client_id = ?")
            .bind(branch_id)
            .bind(client_id)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}
