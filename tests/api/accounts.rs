//! Operator account creation and the demo tenant.

use ingest::accounts::{self, NewUser};
use ingest::demo::{self, Seeded};
use possync_tests::TestIngest;
use serde_json::json;
use shared::token::Role;
use shared::wire::auth::TokenResponse;

#[tokio::test]
async fn demo_seed_creates_the_documented_users_once() {
    let app = TestIngest::spawn().await;

    let first = demo::seed(&app.db.pool).await.unwrap();
    let second = demo::seed(&app.db.pool).await.unwrap();

    assert_eq!(
        first,
        Seeded::Created {
            client_id: 1,
            branch_ids: [1, 2]
        }
    );
    assert_eq!(second, Seeded::AlreadyThere);
    for (username, role, branch) in [
        ("admin", Role::SuperAdmin, 1),
        ("cashier1", Role::Cashier, 1),
        ("cashier2", Role::Cashier, 2),
    ] {
        let response = app
            .post_json(
                "/api/auth/login",
                &json!({"username": username, "password": "password"}),
            )
            .await;
        assert_eq!(response.status(), 200, "{username}");
        let tokens: TokenResponse = response.json().await.unwrap();
        assert_eq!(
            (
                tokens.user.role,
                tokens.user.client_id,
                tokens.user.branch_id
            ),
            (role, 1, branch)
        );
    }
}

#[tokio::test]
async fn a_user_cannot_be_put_in_another_clients_branch() {
    let app = TestIngest::spawn().await;
    let pool = &app.db.pool;
    let mine = accounts::create_client(pool, "mine").await.unwrap();
    let theirs = accounts::create_client(pool, "theirs").await.unwrap();
    let their_branch = accounts::create_branch(pool, theirs, "b").await.unwrap();

    let user = NewUser {
        client_id: mine,
        branch_id: their_branch,
        username: "intruder",
        password: "long enough",
        role: Role::Admin,
    };
    let err = accounts::create_user(pool, &user).await.unwrap_err();

    assert!(
        err.to_string().contains("is not a branch of client"),
        "{err}"
    );
    assert!(accounts::find_by_username(pool, "intruder")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn passwords_are_stored_as_argon2_hashes() {
    let app = TestIngest::spawn().await;
    demo::seed(&app.db.pool).await.unwrap();

    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'admin'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();

    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("password"));
}
