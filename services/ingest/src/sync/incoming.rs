//! Turns one raw record of a push into a checked [`Edit`], or a per-record error.
//!
//! Records are parsed one by one from raw JSON so that a wrong type in one record is that
//! record's error, not a 400 for the whole batch.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::Value;
use shared::ids::RecordId;
use shared::registry;
use shared::times;
use shared::wire::sync::RecordError;

use crate::record::Edit;

/// Checks record `index` of a push, received at `now`, from its raw JSON text: a value the
/// parser refuses (a number out of range, a lone surrogate, nesting past the parser's
/// limit) is this record's error, not the batch's.
pub fn parse_raw(index: usize, raw: &RawValue, now: DateTime<Utc>) -> Result<Edit, RecordError> {
    match serde_json::from_str(raw.get()) {
        Ok(value) => parse(index, value, now),
        Err(err) => Err(RecordError {
            index,
            table_name: None,
            record_id: None,
            message: format!("invalid record: {err}"),
        }),
    }
}

/// Checks record `index` of a push, received at `now`.
pub fn parse(index: usize, raw: Value, now: DateTime<Utc>) -> Result<Edit, RecordError> {
    let text = |field: &str| raw.get(field).and_then(Value::as_str).map(str::to_owned);
    let (table_name, record_id) = (text("table_name"), text("record_id"));
    let error = |message: String| RecordError {
        index,
        table_name: table_name.clone(),
        record_id: record_id.clone(),
        message,
    };
    if !raw.is_object() {
        return Err(error(
            "invalid record: a record must be a JSON object".into(),
        ));
    }
    let table_name: String = required(&raw, "table_name", "a string").map_err(&error)?;
    let table = registry::lookup(&table_name)
        .ok_or_else(|| error(format!("unknown table {table_name:?}")))?;
    let id: String = required(&raw, "record_id", "a string").map_err(&error)?;
    let id = RecordId::parse(&id).map_err(|err| error(err.to_string()))?;
    let time: String =
        required(&raw, "local_updated_at", "an RFC 3339 date-time").map_err(&error)?;
    let local_updated_at =
        times::parse_edit_time("local_updated_at", &time, now).map_err(&error)?;
    let is_deleted = optional(&raw, "is_deleted", "true or false").map_err(&error)?;
    let base_version = optional(&raw, "base_version", "a whole number ≥ 0").map_err(&error)?;
    let is_deleted = is_deleted.unwrap_or(false);
    let edit_id: Option<String> = optional(&raw, "edit_id", "a string").map_err(&error)?;
    let edit_id = edit_id
        .map(|id| RecordId::parse(&id).map_err(|err| error(format!("edit_id: {err}"))))
        .transpose()?;
    let increments = match raw.get("increments") {
        None | Some(Value::Null) => Vec::new(),
        Some(_) if is_deleted => return Err(error("a delete cannot carry increments".into())),
        Some(_) if edit_id.is_none() => {
            return Err(error(
                "edit_id is required with increments: an id the device makes once per edit, such as a UUID"
                    .into(),
            ))
        }
        Some(value) => table.parse_increments(value).map_err(|err| error(err.0))?,
    };
    let data = match raw.get("data").cloned().unwrap_or(Value::Null) {
        // A delete keeps the record's last data: what it sends is not checked, so not stored.
        _ if is_deleted => None,
        Value::Null if !increments.is_empty() => None,
        data => {
            table.validate(&data).map_err(|err| error(err.0))?;
            Some(data)
        }
    };
    Ok(Edit {
        table,
        record_id: id,
        data,
        is_deleted,
        local_updated_at,
        base_version,
        increments,
        edit_id,
    })
}

/// Field `name` of a record as a `T`, absent or `null` being `None`.
fn optional<T: DeserializeOwned>(
    raw: &Value,
    name: &str,
    expected: &str,
) -> Result<Option<T>, String> {
    match raw.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => T::deserialize(value)
            .map(Some)
            .map_err(|_| format!("{name} must be {expected}")),
    }
}

fn required<T: DeserializeOwned>(raw: &Value, name: &str, expected: &str) -> Result<T, String> {
    optional(raw, name, expected)?.ok_or_else(|| format!("{name} is required"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn product() -> Value {
        json!({"table_name": "products", "record_id": "p-1", "data": {"name": "Tea", "price": 2},
               "local_updated_at": "2025-12-07T10:30:00Z", "is_deleted": false})
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn message(raw: Value) -> String {
        parse(3, raw, now()).unwrap_err().message
    }

    #[test]
    fn a_good_record_becomes_an_edit() {
        let edit = parse(0, product(), now()).unwrap();
        assert_eq!(edit.table.name, "products");
        assert_eq!(edit.record_id.as_str(), "p-1");
        assert_eq!(edit.data, Some(json!({"name": "Tea", "price": 2})));
    }

    #[test]
    fn each_kind_of_bad_record_gets_its_message_with_index_table_and_id() {
        let mut unknown = product();
        unknown["table_name"] = json!("users; DROP TABLE records");
        let err = parse(3, unknown, now()).unwrap_err();
        assert_eq!((err.index, err.record_id.as_deref()), (3, Some("p-1")));
        assert_eq!(err.message, r#"unknown table "users; DROP TABLE records""#);

        let mut bad_id = product();
        bad_id["record_id"] = json!("has space");
        assert!(message(bad_id).contains("record_id may contain only"));

        let mut bad_time = product();
        bad_time["local_updated_at"] = json!("yesterday");
        assert_eq!(
            message(bad_time),
            "local_updated_at must be an RFC 3339 date-time"
        );

        let mut bad_price = product();
        bad_price["data"]["price"] = json!(-5);
        assert_eq!(message(bad_price), "data.price must be a number ≥ 0");

        let mut wrong_type = product();
        wrong_type["record_id"] = json!(12);
        assert_eq!(message(wrong_type), "record_id must be a string");

        let mut negative_base = product();
        negative_base["base_version"] = json!(-1);
        assert_eq!(
            message(negative_base),
            "base_version must be a whole number ≥ 0"
        );

        let mut missing_time = product();
        missing_time
            .as_object_mut()
            .unwrap()
            .remove("local_updated_at");
        assert_eq!(message(missing_time), "local_updated_at is required");
    }

    #[test]
    fn a_delete_needs_no_valid_data_and_keeps_none_of_what_it_sends() {
        let mut delete = product();
        delete["is_deleted"] = json!(true);
        for data in [Value::Null, json!({"price": "not a number"}), json!([1])] {
            delete["data"] = data;
            let edit = parse(0, delete.clone(), now()).unwrap();
            assert!(edit.is_deleted && edit.data.is_none());
        }
    }

    #[test]
    fn increments_need_an_edit_id_counters_of_the_table_and_no_delete() {
        let sale = || {
            json!({"table_name": "product_stock", "record_id": "s-1", "increments": {"quantity": -1},
                   "edit_id": "e-1", "local_updated_at": "2025-12-07T10:30:00Z"})
        };
        let edit = parse(0, sale(), now()).unwrap();
        assert!(edit.increments_only());
        assert_eq!(edit.increments[0].field, "quantity");
        assert_eq!(edit.edit_id.as_ref().map(|id| id.as_str()), Some("e-1"));

        let mut no_id = sale();
        no_id.as_object_mut().unwrap().remove("edit_id");
        assert!(message(no_id).starts_with("edit_id is required with increments"));
        let mut bad_id = sale();
        bad_id["edit_id"] = json!("a b");
        assert!(message(bad_id).starts_with("edit_id: "));
        let mut deleted = sale();
        deleted["is_deleted"] = json!(true);
        assert_eq!(message(deleted), "a delete cannot carry increments");
        let mut not_counter = sale();
        not_counter["increments"] = json!({"product_id": 2});
        assert!(message(not_counter).starts_with("increments.product_id: not a counter"));
        let mut with_data = sale();
        with_data["data"] = json!({"warehouse_id": "w1"});
        assert_eq!(message(with_data), "data.product_id is required");
    }

    #[test]
    fn a_record_the_parser_refuses_is_its_own_error() {
        let raw: Box<RawValue> = serde_json::from_str(r#"{"price": 1e400}"#).unwrap();
        let err = parse_raw(4, &raw, now()).unwrap_err();
        assert_eq!(err.index, 4);
        assert!(
            err.message
                .starts_with("invalid record: number out of range"),
            "{}",
            err.message
        );
    }
}
