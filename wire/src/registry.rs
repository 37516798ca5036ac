//! The 31 synced tables: their scope and what their `data` must hold.
//!
//! This is the only place a table name from a request is looked up; storage keys records by
//! the registry's `&'static str`, so a request's text never reaches SQL. `data` is a JSON
//! object: the fields a table declares are checked, any other field is kept as sent.
//!
//! Scope: catalogue-like tables are shared by every branch of a client ([`Scope::Client`]);
//! sales, stock, cash and staff money move per branch ([`Scope::Branch`]).
//!
//! Counters ([`Kind::Counter`]) are the quantities several tills change at once: a product's
//! stock, a shift's expected cash, a customer's balance and points. Edits change them by
//! increments that add up instead of overwriting one another (see `increments`).

use serde_json::{Map, Value};

use crate::registry::Kind::{Amount, Counter, OneOf, Positive, Reference, Text, Timestamp};

/// Who sees a table's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every branch of the client.
    Client,
    /// Only the branch that wrote it (and the client's super admins).
    Branch,
}

/// What a field's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string that is not blank.
    Text,
    /// The id of another record: a non-empty string or a positive integer.
    Reference,
    /// A number ≥ 0.
    Amount,
    /// A number > 0.
    Positive,
    /// Any number, changed by increments that add up (never required: a write that leaves
    /// it out keeps the server's value).
    Counter,
    /// An RFC 3339 date-time string.
    Timestamp,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
}

/// A declared field of a table's `data`.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

/// A synced table.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub scope: Scope,
    pub fields: &'static [Field],
}

const fn table(name: &'static str, scope: Scope, fields: &'static [Field]) -> Table {
    Table {
        name,
        scope,
        fields,
    }
}

use Scope::{Branch, Client};

const NAMED: &[Field] = &[req("name", Text)];
const MOVE: &[&str] = &["in", "out"];

/// Every synced table, in the contract's order.
pub static TABLES: [Table; 31] = [
    table(
        "products",
        Client,
        &[
            req("name", Text),
            req("price", Amount),
            opt("cost", Amount),
            opt("category_id", Reference),
        ],
    ),
    table("product_categories", Client, NAMED),
    table(
        "customers",
        Client,
        &[
            req("name", Text),
            opt("balance", Counter),
            opt("points", Counter),
        ],
    ),
    table("suppliers", Client, NAMED),
    table(
        "invoices",
        Branch,
        &[
            req("total", Amount),
            opt("customer_id", Reference),
            opt("shift_id", Reference),
        ],
    ),
    table(
        "invoice_items",
        Branch,
        &[
            req("invoice_id", Reference),
            req("product_id", Reference),
            req("quantity", Positive),
            req("price", Amount),
        ],
    ),
    table("employees", Client, NAMED),
    table(
        "shifts",
        Branch,
        &[
            req("opened_at", Timestamp),
            opt("closed_at", Timestamp),
            opt("employee_id", Reference),
            opt("expected_cash", Counter),
        ],
    ),
    table(
        "cash_movements",
        Branch,
        &[
            req("amount", Amount),
            req("type", OneOf(MOVE)),
            opt("shift_id", Reference),
        ],
    ),
    table("payment_methods", Client, NAMED),
    table("deposit_sources", Client, NAMED),
    table(
        "deposits",
        Branch,
        &[req("amount", Amount), req("deposit_source_id", Reference)],
    ),
    table("expense_categories", Client, NAMED),
    table(
        "expense_items",
        Branch,
        &[req("expense_category_id", Reference), req("amount", Amount)],
    ),
    table("warehouses", Branch, NAMED),
    table(
        "product_stock",
        Branch,
        &[
            req("product_id", Reference),
            opt("quantity", Counter),
            opt("warehouse_id", Reference),
        ],
    ),
    table(
        "purchases",
        Branch,
        &[req("supplier_id", Reference), req("total", Amount)],
    ),
    table(
        "purchase_items",
        Branch,
        &[
            req("purchase_id", Reference),
            req("product_id", Reference),
            req("quantity", Positive),
            req("price", Amount),
        ],
    ),
    table(
        "sales_returns",
        Branch,
        &[req("invoice_id", Reference), req("total", Amount)],
    ),
    table(
        "purchase_returns",
        Branch,
        &[req("purchase_id", Reference), req("total", Amount)],
    ),
    table(
        "employee_advances",
        Branch,
        &[req("employee_id", Reference), req("amount", Positive)],
    ),
    table(
        "employee_deductions",
        Branch,
        &[req("employee_id", Reference), req("amount", Positive)],
    ),
    table("whatsapp_accounts", Client, &[req("phone", Text)]),
    table(
        "whatsapp_messages",
        Branch,
        &[
            req("to", Text),
            req("body", Text),
            opt("account_id", Reference),
        ],
    ),
    table("whatsapp_campaigns", Client, NAMED),
    table(
        "restaurant_tables",
        Branch,
        &[req("name", Text), opt("hall_id", Reference)],
    ),
    table("halls", Branch, NAMED),
    table(
        "promotions",
        Client,
        &[req("name", Text), opt("discount", Amount)],
    ),
    table("printers", Branch, NAMED),
    table("payment_apps", Client, NAMED),
    table("settings", Client, &[req("key", Text)]),
];

/// Tables only an admin or super admin may write: money owed to staff, payment and deposit
/// set-up, messaging accounts and campaigns, promotions and settings. Cashiers read them.
pub const ADMIN_WRITE: [&str; 11] = [
    "employees",
    "employee_advances",
    "employee_deductions",
    "payment_methods",
    "payment_apps",
    "deposit_sources",
    "expense_categories",
    "promotions",
    "whatsapp_accounts",
    "whatsapp_campaigns",
    "settings",
];

/// The table called `name`, if it is one of the 31.
pub fn lookup(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|table| table.name == name)
}

/// How deeply `data` may nest objects and arrays (`data` itself is level 1). MariaDB's JSON
/// functions stop at 32 levels; a till's records need a handful.
pub const MAX_DATA_DEPTH: usize = 16;

fn depth(value: &Value) -> usize {
    let inner = match value {
        Value::Array(items) => items.iter().map(depth).max(),
        Value::Object(fields) => fields.values().map(depth).max(),
        _ => return 0,
    };
    1 + inner.unwrap_or(0)
}

/// Why a record's `data` is refused; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidData(pub String);

impl Table {
    /// Whether writing this table needs an admin (see [`ADMIN_WRITE`]).
    pub fn needs_admin(&self) -> bool {
        ADMIN_WRITE.contains(&self.name)
    }

    /// The declared field called `name`: list filters may use only these.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// Checks `data` against the declared fields; undeclared fields pass untouched, as long
    /// as they nest no deeper than [`MAX_DATA_DEPTH`].
    pub fn validate(&self, data: &Value) -> Result<(), InvalidData> {
        let object = data
            .as_object()
            .ok_or_else(|| InvalidData("data must be a JSON object".into()))?;
        if depth(data) > MAX_DATA_DEPTH {
            return Err(InvalidData(format!(
                "data nests objects and arrays deeper than {MAX_DATA_DEPTH} levels"
            )));
        }
        self.fields.iter().try_for_each(|field| field.check(object))
    }
}

impl Field {
    fn check(&self, object: &Map<String, Value>) -> Result<(), InvalidData> {
        let name = self.name;
        let value = match object.get(name) {
            None | Some(Value::Null) if self.required => {
                return Err(InvalidData(format!("data.{name} is required")))
            }
            None | Some(Value::Null) => return Ok(()),
            Some(value) => value,
        };
        let number = value.as_f64().filter(|n| n.is_finite());
        let problem = match self.kind {
            Text => match value.as_str() {
                Some(s) if !s.trim().is_empty() => None,
                _ => Some("must be a non-empty string".to_owned()),
            },
            Reference => match value {
                Value::String(s) if !s.trim().is_empty() => None,
                Value::Number(n) if n.as_u64().is_some_and(|n| n > 0) => None,
                _ => Some(
                    "must be the id of a record (a non-empty string or a positive integer)"
                        .to_owned(),
                ),
            },
            Amount => {
                (!number.is_some_and(|n| n >= 0.0)).then(|| "must be a number ≥ 0".to_owned())
            }
            Positive => {
                (!number.is_some_and(|n| n > 0.0)).then(|| "must be a number > 0".to_owned())
            }
            Counter => number.is_none().then(|| "must be a number".to_owned()),
            Timestamp => {
                let field = format!("data.{name}");
                let now = chrono::Utc::now();
                return match value.as_str() {
                    Some(text) => crate::times::parse_edit_time(&field, text, now)
                        .map(drop)
                        .map_err(InvalidData),
                    None => Err(InvalidData(format!(
                        "{field} must be an RFC 3339 date-time"
                    ))),
                };
            }
            OneOf(allowed) => (!value.as_str().is_some_and(|s| allowed.contains(&s)))
                .then(|| format!("must be one of {}", allowed.join(", "))),
        };
        match problem {
            Some(problem) => Err(InvalidData(format!("data.{name} {problem}"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn registry_has_31_distinct_tables() {
        let mut names: Vec<_> = TABLES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 31);
    }

    #[test]
    fn unknown_and_sql_looking_table_names_are_not_found() {
        assert!(lookup("products").is_some());
        assert!(lookup("users").is_none());
        assert!(lookup("products; DROP TABLE records").is_none());
        assert!(lookup("Products").is_none());
    }

    #[test]
    fn product_needs_a_name_and_a_price_of_at_least_zero() {
        let products = lookup("products").unwrap();
        assert!(products
            .validate(&json!({"name": "Tea", "price": 0, "colour": "green"}))
            .is_ok());
        let err = |data| products.validate(&data).unwrap_err().0;
        assert_eq!(err(json!({"price": 1})), "data.name is required");
        assert_eq!(
            err(json!({"name": " ", "price": 1})),
            "data.name must be a non-empty string"
        );
        assert_eq!(
            err(json!({"name": "Tea", "price": -1})),
            "data.price must be a number ≥ 0"
        );
        assert_eq!(
            err(json!({"name": "Tea", "price": "9"})),
            "data.price must be a number ≥ 0"
        );
        assert_eq!(err(json!(["Tea"])), "data must be a JSON object");
    }

    #[test]
    fn invoice_item_needs_its_invoice_product_quantity_and_price() {
        let items = lookup("invoice_items").unwrap();
        let full = json!({"invoice_id": "i1", "product_id": 5, "quantity": 2, "price": 3.5});
        assert!(items.validate(&full).is_ok());
        for missing in ["invoice_id", "product_id", "quantity", "price"] {
            let mut data = full.clone();
            data.as_object_mut().unwrap().remove(missing);
            assert_eq!(
                items.validate(&data).unwrap_err().0,
                format!("data.{missing} is required")
            );
        }
        let zero = json!({"invoice_id": "i1", "product_id": 5, "quantity": 0, "price": 3.5});
        assert_eq!(
            items.validate(&zero).unwrap_err().0,
            "data.quantity must be a number > 0"
        );
    }

    #[test]
    fn enumerations_and_timestamps_are_checked() {
        let moves = lookup("cash_movements").unwrap();
        let err = moves
            .validate(&json!({"amount": 5, "type": "sideways"}))
            .unwrap_err()
            .0;
        assert_eq!(err, "data.type must be one of in, out");
        let shifts = lookup("shifts").unwrap();
        assert!(shifts
            .validate(&json!({"opened_at": "2025-12-07T10:30:00Z"}))
            .is_ok());
        let err = shifts
            .validate(&json!({"opened_at": "yesterday"}))
            .unwrap_err()
            .0;
        assert_eq!(err, "data.opened_at must be an RFC 3339 date-time");
        let err = shifts
            .validate(&json!({"opened_at": "1970-01-01T00:00:00Z"}))
            .unwrap_err()
            .0;
        assert!(
            err.starts_with("data.opened_at must lie from 2000-01-01"),
            "{err}"
        );
    }

    #[test]
    fn data_may_nest_sixteen_levels_and_no_more() {
        let nest = |levels: usize| {
            let inner = (1..levels).fold(json!(1), |value, _| json!([value]));
            json!({"name": "Tea", "price": 1, "x": inner})
        };
        let products = lookup("products").unwrap();
        assert!(products.validate(&nest(MAX_DATA_DEPTH)).is_ok());
        let err = products.validate(&nest(MAX_DATA_DEPTH + 1)).unwrap_err().0;
        assert_eq!(err, "data nests objects and arrays deeper than 16 levels");
    }
}
