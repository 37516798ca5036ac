//! A web app served by ingest next to the API (`WEB_ROOT`): the caching a PWA needs, the
//! page for the app's addresses, and the API's own answers kept.

use possync_tests::TestIngest;
use reqwest::StatusCode;

/// A built app as Vite writes it: `index.html`, a service worker and hashed assets.
fn built_app() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("index.html"),
        "<!doctype html><title>till</title>",
    )
    .unwrap();
    std::fs::write(
        root.path().join("sw.js"),
        "self.addEventListener('fetch', () => {});",
    )
    .unwrap();
    std::fs::create_dir(root.path().join("assets")).unwrap();
    std::fs::write(root.path().join("assets/index-3f2a.js"), "console.log(1)").unwrap();
    root
}

async fn get(app: &TestIngest, path: &str) -> (StatusCode, String, String, String) {
    let response = app.http.get(app.url(path)).send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (cache, kind) = (header("cache-control"), header("content-type"));
    (
        response.status(),
        cache,
        kind,
        response.text().await.unwrap(),
    )
}

#[tokio::test]
async fn the_app_is_served_with_a_pwas_caching_and_the_api_keeps_its_answers() {
    let root = built_app();
    let dir = root.path().to_owned();
    let app = TestIngest::spawn_with(|config| config.web_root = Some(dir)).await;

    let (status, cache, kind, body) = get(&app, "/").await;
    assert_eq!((status, cache.as_str()), (StatusCode::OK, "no-cache"));
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.contains("<title>till</title>"));

    let (status, cache, kind, _) = get(&app, "/sw.js").await;
    assert_eq!((status, cache.as_str()), (StatusCode::OK, "no-cache"));
    assert!(kind.contains("javascript"), "{kind}");

    let (status, cache, _, body) = get(&app, "/assets/index-3f2a.js").await;
    assert_eq!(
        (status, cache.as_str(), body.as_str()),
        (
            StatusCode::OK,
            "public, max-age=31536000, immutable",
            "console.log(1)"
        )
    );

    // An address of the app answers the page; a missing asset is a 404, cached by no one.
    let (status, _, _, body) = get(&app, "/till/checkout").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<title>till</title>"));
    let (status, cache, _, _) = get(&app, "/assets/gone-1.js").await;
    assert_eq!((status, cache.as_str()), (StatusCode::NOT_FOUND, ""));

    // The API is the API's: a route answers, an unknown one is its JSON 404, not the page.
    let (status, _, _, _) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, kind, body) = get(&app, "/api/no/such/route/here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(kind.starts_with("application/json"), "{kind}");
    assert!(body.contains("\"not_found\""), "{body}");
    let (status, _, _, body) = get(&app, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"openapi\""));
}

#[tokio::test]
async fn without_web_root_ingest_serves_the_api_alone() {
    let app = TestIngest::spawn().await;
    let (status, _, kind, _) = get(&app, "/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(kind.starts_with("application/json"), "{kind}");
}

#[test]
fn a_web_root_without_an_index_is_refused_at_start() {
    let empty = tempfile::tempdir().unwrap();
    let err = ingest::site::check(empty.path()).unwrap_err().to_string();
    assert!(err.contains("no index.html"), "{err}");
}
