//! Every kind of bad access token is a 401 in the contract's error shape.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, EncodingKey, Header};
use possync_tests::{Tenant, TestIngest};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use shared::token::Role;

async fn me_status(app: &TestIngest, authorization: Option<String>) -> (u16, Value) {
    let mut request = app.get("/api/auth/me");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn claims(app: &TestIngest, tenant: &Tenant) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": "1", "client_id": tenant.client_id, "branch_id": tenant.branches[0], "role": "cashier",
        "iat": now, "exp": now + 600,
        "iss": app.config.jwt.jwt_issuer, "aud": app.config.jwt.jwt_audience,
    })
}

fn sign(app: &TestIngest, claims: &Value) -> String {
    let secret = app.config.jwt.jwt_secret.expose_secret().as_bytes();
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

#[tokio::test]
async fn well_formed_token_is_accepted() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;

    let (status, body) = me_status(
        &app,
        Some(format!("Bearer {}", sign(&app, &claims(&app, &tenant)))),
    )
    .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["client_id"], tenant.client_id);
}

#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = sign(&app, &claims(&app, &tenant));

    for scheme in ["bearer", "BEARER", "bEaReR"] {
        let (status, body) = me_status(&app, Some(format!("{scheme} {token}"))).await;

        assert_eq!(status, 200, "{scheme}: {body}");
    }
}

#[tokio::test]
async fn bad_tokens_are_all_refused_with_401() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let good = claims(&app, &tenant);
    let without = |field: &str| {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove(field);
        sign(&app, &c)
    };
    let with = |field: &str, value: Value| {
        let mut c = good.clone();
        c[field] = value;
        sign(&app, &c)
    };
    let now = chrono::Utc::now().timestamp();
    let other_key = encode(
        &Header::default(),
        &good,
        &EncodingKey::from_secret(&[7u8; 40]),
    )
    .unwrap();
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(good.to_string())
    );
    let valid = sign(&app, &good);
    let (head, rest) = valid.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let mut promoted = good.clone();
    promoted["role"] = json!("super_admin");
    let tampered = format!(
        "{head}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(promoted.to_string())
    );

    let cases = [
        ("expired", with("exp", json!(now - 3600))),
        ("signed with another secret", other_key),
        ("alg none", unsigned),
        ("missing aud", without("aud")),
        ("missing iss", without("iss")),
        ("missing exp", without("exp")),
        ("wrong aud", with("aud", json!("someone-else"))),
        ("wrong iss", with("iss", json!("someone-else"))),
        ("tampered payload", tampered),
        ("not a JWT", "abc".to_owned()),
    ];
    for (what, token) in cases {
        let (status, body) = me_status(&app, Some(format!("Bearer {token}"))).await;
        assert_eq!(status, 401, "{what}");
        assert_eq!(body["error"]["code"], "unauthorized", "{what}");
    }
    for header in [
        None,
        Some("Basic abc".to_owned()),
        Some(format!("Token {valid}")),
    ] {
        assert_eq!(me_status(&app, header.clone()).await.0, 401, "{header:?}");
    }
}

#[tokio::test]
async fn expired_token_says_so() {
    let app = TestIngest::spawn().await;
    let tenant = Tenant::seed(&app, "shop").await;
    let mut claims = app.keys.claims_for(&shared::token::Principal {
        user_id: 1,
        client_id: tenant.client_id,
        branch_id: tenant.branches[0],
        role: Role::Cashier,
    });
    claims.exp = claims.iat - 60;

    let (status, body) = me_status(&app, Some(format!("Bearer {}", app.keys.sign(&claims)))).await;

    assert_eq!(status, 401);
    assert_eq!(body["error"]["message"], "token expired");
}
