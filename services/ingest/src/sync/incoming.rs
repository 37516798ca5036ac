//! Turns one raw record of a push into a checked [`Edit`], or a per-record error.
//!
//! Records are parsed one by one from raw JSON so that a wrong type in one record is that
//! record's error, not a 400 for the whole batch.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use shared::ids::RecordId;
use shared::registry;
use shared::wire::sync::RecordError;

use crate::store::Edit;

#[derive(Deserialize)]
struct RawRecord {
    table_name: String,
    record_id: String,
    #[serde(default)]
    data: Option<Value>,
    local_updated_at: String,
    #[serde(default)]
    is_deleted: bool,
    #[serde(default)]
    base_version: Option<u64>,
}

/// Checks record `index` of a push.
pub fn parse(index: usize, raw: Value) -> Result<Edit, RecordError> {
    let text = |field: &str| raw.get(field).and_then(Value::as_str).map(str::to_owned);
    let (table_name, record_id) = (text("table_name"), text("record_id"));
    let error = |message: String| RecordError {
        index,
        table_name: table_name.clone(),
        record_id: record_id.clone(),
        message,
    };
    let record: RawRecord = serde_json::from_value(raw.clone())
        .map_err(|err| error(format!("invalid record: {err}")))?;
    let table = registry::lookup(&record.table_name)
        .ok_or_else(|| error(format!("unknown table {:?}", record.table_name)))?;
    let id = RecordId::parse(&record.record_id).map_err(|err| error(err.to_string()))?;
    let local_updated_at = DateTime::parse_from_rfc3339(&record.local_updated_at)
        .map_err(|_| error("local_updated_at must be an RFC 3339 date-time".into()))?
        .with_timezone(&Utc);
    let data = match (record.data, record.is_deleted) {
        (Some(Value::Null) | None, true) => None,
        (Some(data), true) if data.is_object() => Some(data),
        (Some(_), true) => return Err(error("data must be a JSON object".into())),
        (data, false) => {
            let data = data.unwrap_or(Value::Null);
            table.validate(&data).map_err(|err| error(err.0))?;
            Some(data)
        }
    };
    Ok(Edit {
        table,
        record_id: id,
        data,
        is_deleted: record.is_deleted,
        local_updated_at,
        base_version: record.base_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn product() -> Value {
        json!({"table_name": "products", "record_id": "p-1", "data": {"name": "Tea", "price": 2},
               "local_updated_at": "2025-12-07T10:30:00Z", "is_deleted": false})
    }

    fn message(raw: Value) -> String {
        parse(3, raw).unwrap_err().message
    }

    #[test]
    fn a_good_record_becomes_an_edit() {
        let edit = parse(0, product()).unwrap();
        assert_eq!(edit.table.name, "products");
        assert_eq!(edit.record_id.as_str(), "p-1");
        assert_eq!(edit.data, Some(json!({"name": "Tea", "price": 2})));
    }

    #[test]
    fn each_kind_of_bad_record_gets_its_message_with_index_table_and_id() {
        let mut unknown = product();
        unknown["table_name"] = json!("users; DROP TABLE records");
        let err = parse(3, unknown).unwrap_err();
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
        assert!(message(wrong_type).starts_with("invalid record: invalid type"));
    }

    #[test]
    fn a_delete_needs_no_valid_data() {
        let mut delete = product();
        delete["is_deleted"] = json!(true);
        delete["data"] = Value::Null;
        let edit = parse(0, delete).unwrap();
        assert!(edit.is_deleted && edit.data.is_none());
    }
}
