//! The OpenAPI document, and schemathesis run against the live API with a valid token.

use std::process::Command;

use possync_tests::{Tenant, TestIngest};
use shared::token::Role;

#[tokio::test]
async fn the_document_lists_every_route_with_its_error_shape() {
    let app = TestIngest::spawn().await;

    let (status, document) = app.get_as("", "/api/openapi.json").await;

    assert_eq!(status, 200);
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/sync/batch-push",
        "/api/sync/pull-changes",
        "/api/sync/resolve-conflict",
        "/api/sync/stats",
        "/api/{table}",
        "/api/{table}/{id}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(path), "{path} documented");
    }
    let tables = &document["paths"]["/api/{table}"]["get"]["parameters"][0]["schema"]["enum"];
    assert_eq!(tables.as_array().unwrap().len(), 31);
    assert!(document["components"]["schemas"]["ErrorBody"].is_object());
    assert_eq!(
        document["paths"]["/api/sync/batch-push"]["post"]["responses"]["413"]["content"]
            ["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
}

/// Needs schemathesis (`pip install schemathesis`); `scripts/run-tests.sh` installs it in
/// `.local/venv` and runs this test.
#[tokio::test]
#[ignore = "needs schemathesis; scripts/run-tests.sh installs it and runs this"]
async fn schemathesis_finds_no_server_error_and_no_response_outside_the_document() {
    let app = TestIngest::spawn_with(|c| {
        c.entity_requests_per_minute = 1_000_000;
        c.login.login_max_failures_per_address = 1_000_000;
    })
    .await;
    let tenant = Tenant::seed(&app, "shop").await;
    let token = tenant.token(&app, 0, Role::Admin);
    let binary = std::env::var("SCHEMATHESIS_BIN").unwrap_or_else(|_| "schemathesis".into());
    let url = app.url("/api/openapi.json");

    let run = tokio::task::spawn_blocking(move || {
        Command::new(&binary)
            .args(["run", &url, "--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
            .args(["--max-examples", "25", "--generation-deterministic", "--no-color"])
            .output()
            .unwrap_or_else(|err| panic!("cannot run {binary}: {err}; use scripts/run-tests.sh"))
    })
    .await
    .unwrap();

    let report = String::from_utf8_lossy(&run.stdout);
    println!("{report}");
    assert!(
        run.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// The TypeScript package's types are generated from `clients/typescript/openapi.json`
/// (its own test checks that); this keeps that snapshot equal to what ingest serves.
/// `POSSYNC_UPDATE_OPENAPI=1` rewrites it, then `npm run gen:types` in clients/typescript.
#[tokio::test]
async fn the_typescript_packages_snapshot_is_the_document_ingest_serves() {
    let app = TestIngest::spawn().await;
    let (_, served) = app.get_as("", "/api/openapi.json").await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../clients/typescript/openapi.json"
    );
    if std::env::var_os("POSSYNC_UPDATE_OPENAPI").is_some() {
        let text = serde_json::to_string_pretty(&served).unwrap() + "\n";
        std::fs::write(path, text).unwrap();
    }
    let snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        snapshot == served,
        "clients/typescript/openapi.json differs from the served document: run \
         POSSYNC_UPDATE_OPENAPI=1 cargo test -p possync-tests --test api openapi, then \
         npm run gen:types in clients/typescript"
    );
}
