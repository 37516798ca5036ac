//! What a caller may see and write, from its verified token only.

use shared::registry::{Scope, Table};
use shared::token::{Principal, Role};
use sqlx::{MySql, QueryBuilder};

/// `branch_scope` of records shared by every branch of a client.
pub const SHARED_SCOPE: u64 = 0;

/// The caller's tenancy: its client always; its branch, or every branch for a super admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallerScope {
    pub client_id: u64,
    pub branch_id: u64,
    pub whole_client: bool,
    /// Admins and super admins may write the tables that need an admin.
    pub can_administer: bool,
}

impl From<Principal> for CallerScope {
    fn from(principal: Principal) -> Self {
        CallerScope {
            client_id: principal.client_id,
            branch_id: principal.branch_id,
            whole_client: principal.role == Role::SuperAdmin,
            can_administer: principal.role != Role::Cashier,
        }
    }
}

impl CallerScope {
    /// Where a new record of `table` written by this caller lives.
    pub fn scope_for(&self, table: &Table) -> u64 {
        match table.scope {
            Scope::Branch => self.branch_id,
            Scope::Client => SHARED_SCOPE,
        }
    }

    /// Whether records in `branch_scope` are visible (and writable) to this caller.
    pub fn sees(&self, branch_scope: u64) -> bool {
        self.whole_client || branch_scope == SHARED_SCOPE || branch_scope == self.branch_id
    }

    /// Whether this caller may write `table` at all.
    pub fn may_write(&self, table: &Table) -> bool {
        self.can_administer || !table.needs_admin()
    }

    /// The `branch_scope` values a pull reads, or `None` for the whole client.
    pub fn visible_scopes(&self) -> Option<[u64; 2]> {
        (!self.whole_client).then_some([self.branch_id, SHARED_SCOPE])
    }

    /// Appends `AND <column> IN (branch, shared)` unless the caller sees the whole client.
    pub fn push_filter(&self, query: &mut QueryBuilder<'_, MySql>, column: &str) {
        if let Some([branch, shared]) = self.visible_scopes() {
            query
                .push(format!(" AND {column} IN ("))
                .push_bind(branch)
                .push(", ")
                .push_bind(shared)
                .push(")");
        }
    }
}
