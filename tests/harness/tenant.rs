//! Seeded tenants: a client with two branches and a user of each role.

use ingest::accounts::{self, NewUser};
use shared::token::{Principal, Role};
use shared::wire::auth::TokenResponse;

use crate::TestIngest;

/// Every seeded user's password.
pub const PASSWORD: &str = "correct horse";

/// A client with branches `branches[0]` and `branches[1]`, and users named
/// `<prefix>-super`, `<prefix>-admin1`, `<prefix>-cashier1`, `<prefix>-cashier2`.
pub struct Tenant {
    pub client_id: u64,
    pub branches: [u64; 2],
    pub prefix: String,
}

impl Tenant {
    pub async fn seed(app: &TestIngest, prefix: &str) -> Tenant {
        let pool = &app.db.pool;
        let client_id = accounts::create_client(pool, &format!("{prefix} shop"))
            .await
            .unwrap();
        let b1 = accounts::create_branch(pool, client_id, "one")
            .await
            .unwrap();
        let b2 = accounts::create_branch(pool, client_id, "two")
            .await
            .unwrap();
        let users = [
            ("super", b1, Role::SuperAdmin),
            ("admin1", b1, Role::Admin),
            ("cashier1", b1, Role::Cashier),
            ("cashier2", b2, Role::Cashier),
        ];
        for (name, branch_id, role) in users {
            let username = format!("{prefix}-{name}");
            let user = NewUser {
                client_id,
                branch_id,
                username: &username,
                password: PASSWORD,
                role,
            };
            accounts::create_user(pool, &user).await.unwrap();
        }
        Tenant {
            client_id,
            branches: [b1, b2],
            prefix: prefix.to_owned(),
        }
    }

    pub fn username(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// Logs `name` in through the API and returns the tokens.
    pub async fn login(&self, app: &TestIngest, name: &str) -> TokenResponse {
        let body = serde_json::json!({"username": self.username(name), "password": PASSWORD});
        let response = app.post_json("/api/auth/login", &body).await;
        assert_eq!(response.status(), 200, "login of {name} succeeds");
        response.json().await.unwrap()
    }

    /// A token for a principal of this tenant, signed directly (no login round trip).
    pub fn token(&self, app: &TestIngest, branch_index: usize, role: Role) -> String {
        let principal = Principal {
            user_id: 1,
            client_id: self.client_id,
            branch_id: self.branches[branch_index],
            role,
        };
        app.keys.issue(&principal)
    }
}
