//! The OpenAPI 3 document of the whole REST API, generated from the handlers' annotations
//! and served at `/api/openapi.json`, with a `<table>.data` schema per synced table built
//! from the registry (its declared fields, their types, the required ones, its scope).

use std::sync::LazyLock;

use axum::routing::get;
use axum::{Json, Router};
use shared::registry::{Field, Kind, Scope, Table, TABLES};
use shared::wire::auth::{LoginRequest, RefreshRequest, TokenResponse, UserInfo, WhoAmI};
use shared::wire::checksums::{ChecksumsResponse, TableChecksum};
use shared::wire::sync::{
    Change, Conflict, EntityPage, EntityPatch, EntityWrite, PullResponse, PushRecord, PushRequest,
    PushResponse, RecordError, Resolution, ResolveMovedOn, ResolveRequest, ResolveResponse,
    StatsResponse, SyncedVersion, TableStat,
};
use shared::wire::{socket, ErrorBody, ErrorDetail};
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::schema::{AdditionalProperties, OneOfBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{KnownFormat, ObjectBuilder, RefOr, Schema, SchemaFormat, Type};
use utoipa::{Modify, OpenApi};

use crate::entities::placement::EntityCreate;
use crate::state::AppState;
use crate::{auth, entities, health, sync};

#[derive(OpenApi)]
#[openapi(
    info(title = "possync", description = "Sync backend for point-of-sale devices. Errors are {\"error\": {\"code\", \"message\"}}."),
    paths(
        auth::login, auth::refresh_token, auth::me,
        sync::push::batch_push, sync::pull::pull_changes, sync::resolve::resolve_conflict, sync::stats::stats, sync::checksums::checksums,
        entities::list_records, entities::get_record, entities::writes::create, entities::writes::replace, entities::writes::patch, entities::writes::remove,
        health::healthz, health::readyz, health::metrics,
    ),
    components(schemas(
        ErrorBody, ErrorDetail, LoginRequest, RefreshRequest, TokenResponse, UserInfo, WhoAmI, shared::token::Role,
        PushRequest, PushRecord, PushResponse, Conflict, RecordError, PullResponse, Change, Resolution,
        ResolveRequest, ResolveResponse, ResolveMovedOn, StatsResponse, TableStat, ChecksumsResponse, TableChecksum, EntityPage, EntityWrite, EntityPatch, EntityCreate, SyncedVersion,
        socket::Operation, socket::ChangeEvent, socket::ClientMessage, socket::ServerMessage,
    )),
    modifiers(&BearerToken, &TableNames, &TableSchemas),
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

/// One `<table>.data` schema per registry table.
struct TableSchemas;

impl Modify for TableSchemas {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for table in &TABLES {
            components
                .schemas
                .insert(format!("{}.data", table.name), RefOr::T(data_schema(table)));
        }
    }
}

/// What `data` of `table` holds: its declared fields (checked on every write; list filters
/// may use exactly these), any other field kept as sent, and the table's scope.
fn data_schema(table: &Table) -> Schema {
    let (scope, scope_text) = match table.scope {
        Scope::Client => ("client", "shared by every branch of the client"),
        Scope::Branch => ("branch", "per branch (branch_id on records)"),
    };
    let filters: Vec<&str> = table.fields.iter().map(|field| field.name).collect();
    let writers = if table.needs_admin() {
        "admins and super admins"
    } else {
        "every role"
    };
    let description = format!(
        "data of {}: {scope_text}; written by {writers}; list filters: {}. Fields not \
         declared here are kept as sent.",
        table.name,
        filters.join(", ")
    );
    let extensions = ExtensionsBuilder::new()
        .add("x-possync-scope", scope)
        .add("x-possync-admin-write", table.needs_admin())
        .add("x-possync-filters", filters)
        .build();
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .extensions(Some(extensions));
    for field in table.fields {
        object = object.property(field.name, nullable_unless_required(field));
        if field.required {
            object = object.required(field.name);
        }
    }
    Schema::Object(object.build())
}

/// An optional field may be `null`, which counts as absent.
fn nullable_unless_required(field: &Field) -> Schema {
    if field.required {
        return field_schema(field);
    }
    let null = ObjectBuilder::new().schema_type(Type::Null).build();
    Schema::OneOf(
        OneOfBuilder::new()
            .item(field_schema(field))
            .item(null)
            .build(),
    )
}

/// The JSON Schema of a declared field, as `registry::Field::check` accepts it.
fn field_schema(field: &Field) -> Schema {
    let typed = |kind| ObjectBuilder::new().schema_type(kind);
    let text = typed(Type::String).min_length(Some(1)).pattern(Some(r"\S"));
    let object = match field.kind {
        Kind::Text => text,
        Kind::Reference => {
            let id = typed(Type::Integer).minimum(Some(1));
            let any = OneOfBuilder::new().item(text.build()).item(id.build());
            return Schema::OneOf(any.description(Some("the id of a record")).build());
        }
        Kind::Amount => typed(Type::Number).minimum(Some(0)),
        Kind::Positive => typed(Type::Number).exclusive_minimum(Some(0)),
        Kind::Counter => typed(Type::Number).description(Some(
            "a counter: edits change it by `increments`; a write that leaves it out keeps it",
        )),
        Kind::Timestamp => {
            typed(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        }
        Kind::OneOf(values) => typed(Type::String).enum_values(Some(values.iter().copied())),
    };
    Schema::Object(object.build())
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async { Json(DOCUMENT.clone()) }),
    )
}
