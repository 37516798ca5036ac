//! The OpenAPI 3 document of the whole REST API, generated from the handlers' annotations
//! and served at `/api/openapi.json`.

use std::sync::LazyLock;

use axum::routing::get;
use axum::{Json, Router};
use shared::registry::TABLES;
use shared::wire::auth::{LoginRequest, RefreshRequest, TokenResponse, UserInfo, WhoAmI};
use shared::wire::sync::{
    Change, Conflict, EntityPage, EntityWrite, PullResponse, PushRecord, PushRequest, PushResponse,
    RecordError, Resolution, ResolveRequest, ResolveResponse, StatsResponse, TableStat,
};
use shared::wire::{ErrorBody, ErrorDetail};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};
use utoipa::{Modify, OpenApi};

use crate::entities::placement::EntityCreate;
use crate::{auth, entities, health, sync, AppState};

#[derive(OpenApi)]
#[openapi(
    info(title = "possync", description = "Sync backend for point-of-sale devices. Errors are {\"error\": {\"code\", \"message\"}}."),
    paths(
        auth::login, auth::refresh_token, auth::me,
        sync::push::batch_push, sync::pull::pull_changes, sync::resolve::resolve_conflict, sync::stats::stats,
        entities::list_records, entities::get_record, entities::writes::create, entities::writes::replace, entities::writes::patch, entities::writes::remove,
        health::healthz, health::readyz, health::metrics,
    ),
    components(schemas(
        ErrorBody, ErrorDetail, LoginRequest, RefreshRequest, TokenResponse, UserInfo, WhoAmI, shared::token::Role,
        PushRequest, PushRecord, PushResponse, Conflict, RecordError, PullResponse, Change, Resolution,
        ResolveRequest, ResolveResponse, StatsResponse, TableStat, EntityPage, EntityWrite, EntityCreate,
    )),
    modifiers(&BearerToken, &TableNames),
)]
pub struct ApiDoc;

/// The `bearer` security scheme every authenticated route names.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", scheme);
    }
}

/// The `{table}` path parameter is one of the registry's names.
struct TableNames;

impl Modify for TableNames {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let names: Vec<&str> = TABLES.iter().map(|table| table.name).collect();
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if parameter.name == "table" {
                        parameter.schema = Some(RefOr::T(Schema::Object(schema.clone())));
                    }
                }
            }
        }
    }
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async { Json(DOCUMENT.clone()) }),
    )
}
