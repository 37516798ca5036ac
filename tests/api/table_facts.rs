//! What the registry says of each table reaches API users: in the OpenAPI document and in
//! the answer to a list filter a table does not take.

use possync_tests::{Tenant, TestIngest};
use serde_json::{json, Value};
use shared::registry::TABLES;
use shared::token::Role;

async fn schemas(app: &TestIngest) -> Value {
    let (status, document) = app.get_as("", "/api/openapi.json").await;
    assert_eq!(status, 200);
    document["components"]["schemas"].clone()
}

#[tokio::test]
async fn the_document_has_a_data_schema_per_table_built_from_the_registry() {
    let app = TestIngest::spawn().await;

    let schemas = schemas(&app).await;

    for table in &TABLES {
        let schema = &schemas[format!("{}.data", table.name)];
        assert_eq!(schema["type"], "object", "{}", table.name);
        assert_eq!(
            schema["properties"].as_object().unwrap().len(),
            table.fields.len()
        );
    }
    let products = &schemas["products.data"];
    assert_eq!(products["required"], json!(["name", "price"]));
    assert_eq!(products["properties"]["price"]["minimum"], 0);
    assert_eq!(products["x-possync-scope"], "client");
    assert_eq!(
        products["x-possync-filters"],
        json!(["name", "price", "cost", "category_id"])
    );
    let moves = &schemas["cash_movements.data"];
    assert_eq!(moves["properties"]["type"]["enum"], json!(["in", "out"]));
    assert_eq!(moves["x-possync-scope"], "branch");
    assert_eq!(
        schemas["shifts.data"]["properties"]["opened_at"]["format"],
        "date-time"
    );
    assert_eq!(schemas["settings.data"]["x-possync-admin-write"], true);
}

#[tokio::test]
async fn the_document_lets_a_delete_push_go_without_data_and_records_show_their_branch() {
    let app = TestIngest::spawn().await;

    let schemas = schemas(&app).await;

    let push_required = schemas["PushRecord"]["required"].as_array().unwrap();
    assert!(!push_required.contains(&json!("data")), "{push_required:?}");
    assert!(schemas["Change"]["properties"]["branch_id"].is_object());
    assert!(schemas["EntityCreate"]["properties"]["branch_id"].is_object());
}

#[tokio::test]
async fn an_unknown_list_filter_is_answered_with_the_filters_of_its_table() {
    let app = TestIngest::spawn().await;
    let shop = Tenant::seed(&app, "shop").await;
    let token = shop.token(&app, 0, Role::Cashier);

    let (status, body) = app.get_as(&token, "/api/products?colour=green").await;

    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "colour is not a filter of products; its filters: page_size, cursor, deleted, \
         updated_since, name, price, cost, category_id"
    );
}
