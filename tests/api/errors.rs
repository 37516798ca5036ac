//! Client mistakes get a 4xx in the contract's error shape, never axum's plain text or a 500.

use possync_tests::TestIngest;
use serde_json::Value;

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("error bodies are JSON");
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code is a string")
        .to_owned();
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    (status, code)
}

#[tokio::test]
async fn malformed_login_bodies_get_400_415_or_413() {
    let app = TestIngest::spawn().await;
    let post = |body: &'static str, content_type: &'static str| {
        app.post("/api/auth/login")
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    assert_eq!(
        error_of(post("{not json", "application/json").await.unwrap()).await,
        (400, "bad_request".into())
    );
    assert_eq!(
        error_of(
            post(r#"{"username": 5}"#, "application/json")
                .await
                .unwrap()
        )
        .await,
        (400, "bad_request".into())
    );
    assert_eq!(
        error_of(
            post(r#"{"username": "a"}"#, "application/json")
                .await
                .unwrap()
        )
        .await,
        (400, "bad_request".into())
    );
    assert_eq!(
        error_of(
            post(r#"{"username":"a","password":"b"}"#, "text/plain")
                .await
                .unwrap()
        )
        .await,
        (415, "unsupported_media_type".into())
    );
    let huge = format!(
        r#"{{"username":"a","password":"{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let response = app
        .post("/api/auth/login")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await, (413, "payload_too_large".into()));
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_error_shape() {
    let app = TestIngest::spawn().await;

    assert_eq!(
        error_of(app.get("/nothing/here/at/all").send().await.unwrap()).await,
        (404, "not_found".into())
    );
    assert_eq!(
        error_of(app.get("/api/auth/login").send().await.unwrap())
            .await
            .0,
        405
    );
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = TestIngest::spawn().await;

    let made = app.get("/healthz").send().await.unwrap();
    let kept = app
        .get("/healthz")
        .header("x-request-id", "till-7-req-1")
        .send()
        .await
        .unwrap();

    assert!(made.headers()["x-request-id"].to_str().unwrap().len() >= 32);
    assert_eq!(kept.headers()["x-request-id"], "till-7-req-1");
}
