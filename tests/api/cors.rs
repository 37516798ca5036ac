//! CORS on ingest: browsers on the listed origins only, preflights free of tokens and limits.

use possync_tests::{Tenant, TestIngest};
use reqwest::header::HeaderMap;
use reqwest::Method;
use shared::token::Role;

const DEMO: &str = "http://127.0.0.1:3003";

async fn with_demo_origin(requests_per_minute: u32) -> TestIngest {
    TestIngest::spawn_with(|config| {
        config.cors_allowed_origins = vec!["https://pos.example.com".into(), DEMO.into()];
        config.entity_requests_per_minute = requests_per_minute;
    })
    .await
}

/// A browser's preflight for a `PUT` with `If-Match` from `origin`.
async fn preflight(app: &TestIngest, origin: &str, path: &str) -> (u16, HeaderMap) {
    let response = app
        .http
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization,content-type,if-match,idempotency-key",
        )
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.headers().clone())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing from {headers:?}"))
        .to_str()
        .unwrap()
}

fn cors_headers(headers: &HeaderMap) -> Vec<&str> {
    headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_is_answered_without_a_token() {
    let app = with_demo_origin(100).await;

    let (status, headers) = preflight(&app, DEMO, "/api/customers/c1").await;

    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), DEMO);
    let methods = header(&headers, "access-control-allow-methods");
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
        assert!(methods.contains(method), "{method} in {methods}");
    }
    let allowed = header(&headers, "access-control-allow-headers");
    for name in [
        "authorization",
        "content-type",
        "if-match",
        "x-device-id",
        "idempotency-key",
    ] {
        assert!(allowed.contains(name), "{name} in {allowed}");
    }
    assert_eq!(header(&headers, "access-control-max-age"), "7200");
}

#[tokio::test]
async fn a_disallowed_origin_gets_no_cors_headers() {
    let app = with_demo_origin(100).await;
    let shop = Tenant::seed(&app, "shop").await;
    let token = shop.token(&app, 0, Role::Admin);

    let (_, preflighted) = preflight(&app, "http://evil.example", "/api/customers/c1").await;
    let actual = app
        .get("/api/customers")
        .header("origin", "http://127.0.0.1:3004")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    assert_eq!(cors_headers(&preflighted), Vec::<&str>::new());
    assert_eq!(actual.status(), 200);
    assert_eq!(cors_headers(actual.headers()), Vec::<&str>::new());
}

#[tokio::test]
async fn without_cors_allowed_origins_no_cors_headers_are_sent() {
    let app = TestIngest::spawn().await;

    let (status, headers) = preflight(&app, DEMO, "/api/customers/c1").await;

    assert_eq!(status, 405);
    assert_eq!(cors_headers(&headers), Vec::<&str>::new());
}

#[tokio::test]
async fn preflights_do_not_count_against_the_entity_limit_and_429_exposes_retry_after() {
    let app = with_demo_origin(1).await;
    let shop = Tenant::seed(&app, "shop").await;
    let token = shop.token(&app, 0, Role::Admin);
    let get = || {
        app.get("/api/customers")
            .header("origin", DEMO)
            .bearer_auth(&token)
            .send()
    };

    for _ in 0..5 {
        assert_eq!(preflight(&app, DEMO, "/api/customers").await.0, 200);
    }
    let first = get().await.unwrap();
    let limited = get().await.unwrap();

    assert_eq!(first.status(), 200);
    assert_eq!(header(first.headers(), "access-control-allow-origin"), DEMO);
    assert_eq!(limited.status(), 429);
    let headers = limited.headers();
    assert_eq!(header(headers, "access-control-allow-origin"), DEMO);
    let exposed = header(headers, "access-control-expose-headers").to_lowercase();
    assert!(
        exposed.contains("retry-after") && exposed.contains("etag"),
        "{exposed}"
    );
    assert!(header(headers, "retry-after").parse::<u64>().unwrap() >= 1);
}
