//! The demo tenant that the local stack seeds: for trying possync, never for production.

use shared::token::Role;
use sqlx::MySqlPool;

use crate::accounts::{self, NewUser};

/// Every demo user's password.
pub const DEMO_PASSWORD: &str = "password";

/// What [`seed`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Seeded {
    Created {
        client_id: u64,
        branch_ids: [u64; 2],
    },
    AlreadyThere,
}

/// Creates client "Demo shop" with branches 1 and 2 and the users `admin` (super_admin),
/// `cashier1` (branch 1) and `cashier2` (branch 2), unless a user `admin` exists already.
pub async fn seed(pool: &MySqlPool) -> anyhow::Result<Seeded> {
    if accounts::find_by_username(pool, "admin").await?.is_some() {
        return Ok(Seeded::AlreadyThere);
    }
    let client_id = accounts::create_client(pool, "Demo shop (DEMO ONLY)").await?;
    let branch_1 = accounts::create_branch(pool, client_id, "Demo branch 1").await?;
    let branch_2 = accounts::create_branch(pool, client_id, "Demo branch 2").await?;
    let users = [
        ("admin", branch_1, Role::SuperAdmin),
        ("cashier1", branch_1, Role::Cashier),
        ("cashier2", branch_2, Role::Cashier),
    ];
    for (username, branch_id, role) in users {
        let user = NewUser {
            client_id,
            branch_id,
            username,
            password: DEMO_PASSWORD,
            role,
        };
        accounts::create_user(pool, &user).await?;
    }
    Ok(Seeded::Created {
        client_id,
        branch_ids: [branch_1, branch_2],
    })
}
