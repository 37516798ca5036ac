//! Login, refresh and the failed-login limits.

use std::time::{Duration, Instant};

use possync_tests::tenant::PASSWORD;
use possync_tests::{Tenant, TestIngest};
use serde_json::{json, Value};
use shared::token::Role;
use shared::wire::auth::{TokenResponse, WhoAmI};

#[tokio::test]
async fn login_returns_tokens_with_the_users_claims() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;

    let tokens = tenant.login(&app, "cashier2").await;

    let claims = app.keys.verify(&tokens.access_token).unwrap();
    assert_eq!(claims.client_id, tenant.client_id);
    assert_eq!(claims.branch_id, tenant.branches[1]);
    assert_eq!(claims.role, Role::Cashier);
    assert_eq!(claims.sub, tokens.user.id.to_string());
    assert_eq!(claims.iss, "possync-test");
    assert_eq!(claims.aud, "possync-test-devices");
    assert_eq!(claims.exp - claims.iat, 600);
    assert_eq!(tokens.expires_in, 600);
    assert_eq!(tokens.user.username, tenant.username("cashier2"));
    assert!(tokens.refresh_token.len() >= 40);
}

#[tokio::test]
async fn access_token_identifies_the_caller_at_me() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let tokens = tenant.login(&app, "super").await;

    let me: WhoAmI = app
        .get("/api/auth/me")
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let expected = WhoAmI {
        user_id: tokens.user.id,
        client_id: tenant.client_id,
        branch_id: tenant.branches[0],
        role: Role::SuperAdmin,
    };
    assert_eq!(me, expected);
}

async fn login_attempt(app: &TestIngest, username: &str, password: &str) -> (u16, Value) {
    let response = app
        .post_json(
            "/api/auth/login",
            &json!({"username": username, "password": password}),
        )
        .await;
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;

    let wrong_password = login_attempt(&app, &tenant.username("cashier1"), "not it").await;
    let unknown_user = login_attempt(&app, "nobody-at-all", "not it").await;

    assert_eq!(wrong_password.0, 401);
    assert_eq!(wrong_password, unknown_user);
    assert_eq!(wrong_password.1["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn unknown_user_costs_about_as_much_as_a_wrong_password() {
    let app = TestIngest::spawn_with(|c| c.login.login_max_failures_per_address = 100).await;
    let tenant = Tenant::seed(&app, "shop").await;
    async fn median(app: &TestIngest, username: &str) -> Duration {
        let mut times = Vec::new();
        for _ in 0..4 {
            let start = Instant::now();
            login_attempt(app, username, "wrong").await;
            times.push(start.elapsed());
        }
        times.sort();
        times[2]
    }

    let wrong_password = median(&app, &tenant.username("admin1")).await;
    let unknown_user = median(&app, "ghost").await;

    // Without the dummy hash an unknown user answers in about 1 ms against ~20+ ms: a
    // factor far outside these bounds.
    let ratio = unknown_user.as_secs_f64() / wrong_password.as_secs_f64();
    assert!(
        (0.33..3.0).contains(&ratio),
        "unknown {unknown_user:?} vs wrong {wrong_password:?}"
    );
}

#[tokio::test]
async fn disabled_user_cannot_log_in() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    sqlx::query("UPDATE users SET disabled = TRUE WHERE username = ?")
        .bind(tenant.username("admin1"))
        .execute(&app.db.pool)
        .await
        .unwrap();

    let (status, _) = login_attempt(&app, &tenant.username("admin1"), PASSWORD).await;

    assert_eq!(status, 401);
}

#[tokio::test]
async fn account_is_locked_after_five_failures_even_for_the_right_password() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let cashier = tenant.username("cashier1");
    for _ in 0..5 {
        assert_eq!(login_attempt(&app, &cashier, "guess").await.0, 401);
    }

    let response = app
        .post_json(
            "/api/auth/login",
            &json!({"username": cashier, "password": PASSWORD}),
        )
        .await;

    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Another account from the same address is not locked by this one's failures.
    assert_eq!(
        login_attempt(&app, &tenant.username("cashier2"), PASSWORD)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn address_is_locked_after_its_failure_budget_across_accounts() {
    let app = TestIngest::spawn_with(|c| c.login.login_max_failures_per_address = 3).await;
    let tenant = Tenant::seed(&app, "shop").await;
    for name in ["a", "b", "c"] {
        assert_eq!(login_attempt(&app, name, "guess").await.0, 401);
    }

    let (status, _) = login_attempt(&app, &tenant.username("cashier2"), PASSWORD).await;

    assert_eq!(status, 429);
}

#[tokio::test]
async fn successful_logins_from_one_address_are_not_limited() {
    let app = TestIngest::spawn_with(|c| c.login.login_max_failures_per_address = 2).await;
    let tenant = Tenant::seed(&app, "shop").await;
    for _ in 0..6 {
        tenant.login(&app, "cashier1").await;
    }
}

/// Failed logins of mistyped names from the test's one address.
async fn typos(app: &TestIngest, count: usize) {
    for n in 0..count {
        let (status, _) = login_attempt(app, &format!("till-typo-{n}"), "guess").await;
        assert_eq!(status, 401, "typo {n}");
    }
}

#[tokio::test]
async fn typos_between_successful_logins_never_lock_a_shop_out_of_its_one_address() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let per_address = app.config.login.login_max_failures_per_address as usize;

    typos(&app, per_address - 1).await;
    shop.login(&app, "cashier1").await;
    typos(&app, per_address - 1).await;

    let (status, body) = login_attempt(&app, &shop.username("cashier2"), PASSWORD).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_guesser_that_never_logs_in_is_locked_out_of_its_address() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let per_address = app.config.login.login_max_failures_per_address as usize;

    typos(&app, per_address).await;

    let (status, body) = login_attempt(&app, &shop.username("cashier2"), PASSWORD).await;
    assert_eq!(status, 429, "{body}");
}

async fn refresh(app: &TestIngest, token: &str) -> reqwest::Response {
    app.post_json("/api/auth/refresh", &json!({"refreshToken": token}))
        .await
}

#[tokio::test]
async fn refresh_token_buys_a_new_access_token_once() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let first = tenant.login(&app, "cashier1").await;

    let response = refresh(&app, &first.refresh_token).await;
    assert_eq!(response.status(), 200);
    let second: TokenResponse = response.json().await.unwrap();
    let claims = app.keys.verify(&second.access_token).unwrap();
    assert_eq!(claims.branch_id, tenant.branches[0]);
    assert_ne!(second.refresh_token, first.refresh_token);

    let reused = refresh(&app, &first.refresh_token).await;
    assert_eq!(reused.status(), 401);
    // Reuse looks like theft: the token issued in exchange is revoked as well.
    assert_eq!(refresh(&app, &second.refresh_token).await.status(), 401);
}

#[tokio::test]
async fn invalid_or_expired_refresh_tokens_are_refused() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let tokens = tenant.login(&app, "cashier1").await;
    sqlx::query("UPDATE refresh_tokens SET expires_at = '2020-01-01 00:00:00'")
        .execute(&app.db.pool)
        .await
        .unwrap();

    for token in [tokens.refresh_token.as_str(), "made-up", ""] {
        let response = refresh(&app, token).await;
        assert_eq!(response.status(), 401, "{token}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    // An access token is not a refresh token.
    assert_eq!(refresh(&app, &tokens.access_token).await.status(), 401);
}
