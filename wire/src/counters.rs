//! Counter fields: increments that add up whatever order they arrive in, and writes that
//! leave counters out.
//!
//! An edit may carry `increments` (`{"quantity": -1}`): each named field must be a counter of
//! its table and is changed by that amount on top of the value it has when the edit applies.
//! A write whose `data` leaves a counter out keeps the value the record has; a write whose
//! `data` holds a counter sets it by value (a stock count, a correction).

use serde_json::{Map, Number, Value};

use crate::registry::{InvalidData, Kind, Table};

/// One counter change of an edit: `field` grows by `by` (shrinks when negative).
#[derive(Debug, Clone, PartialEq)]
pub struct Increment {
    pub field: &'static str,
    pub by: Number,
}

impl Table {
    /// The names of this table's counter fields.
    pub fn counters(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields
            .iter()
            .filter(|field| field.kind == Kind::Counter)
            .map(|field| field.name)
    }

    /// Checks an edit's `increments` object: counters of this table, each a number.
    pub fn parse_increments(&self, value: &Value) -> Result<Vec<Increment>, InvalidData> {
        let Value::Object(fields) = value else {
            return Err(InvalidData(
                "increments must be an object of counter names and numbers".into(),
            ));
        };
        if fields.is_empty() {
            return Err(InvalidData(
                "increments must name at least one counter".into(),
            ));
        }
        fields
            .iter()
            .map(|(name, by)| {
                let field = self
                    .counters()
                    .find(|counter| counter == name)
                    .ok_or_else(|| {
                        let counters: Vec<_> = self.counters().collect();
                        InvalidData(match counters.as_slice() {
                            [] => format!("increments.{name}: {} has no counters", self.name),
                            _ => format!(
                                "increments.{name}: not a counter of {} (its counters: {})",
                                self.name,
                                counters.join(", ")
                            ),
                        })
                    })?;
                match by {
                    Value::Number(by) => Ok(Increment {
                        field,
                        by: by.clone(),
                    }),
                    _ => Err(InvalidData(format!("increments.{name} must be a number"))),
                }
            })
            .collect()
    }

    /// Copies into `data` the counters it leaves out from `current`, the record's data now.
    pub fn keep_counters(&self, data: &mut Value, current: &Value) {
        let (Value::Object(fields), Value::Object(current)) = (data, current) else {
            return;
        };
        for counter in self.counters() {
            if let (false, Some(value)) = (fields.contains_key(counter), current.get(counter)) {
                fields.insert(counter.to_owned(), value.clone());
            }
        }
    }
}

/// Adds each increment to its field of `data` (an absent or `null` field counts as 0).
/// Whole numbers stay whole while the sum fits in 64 bits.
pub fn apply_increments(data: &mut Value, increments: &[Increment]) -> Result<(), InvalidData> {
    let Value::Object(fields) = data else {
        return Err(InvalidData("data must be a JSON object".into()));
    };
    for increment in increments {
        let sum = add(fields, increment).ok_or_else(|| {
            InvalidData(format!(
                "data.{} would be out of range after adding {}",
                increment.field, increment.by
            ))
        })?;
        fields.insert(increment.field.to_owned(), Value::Number(sum));
    }
    Ok(())
}

fn add(fields: &Map<String, Value>, increment: &Increment) -> Option<Number> {
    let by = &increment.by;
    let current = match fields.get(increment.field) {
        None | Some(Value::Null) => Number::from(0),
        Some(Value::Number(number)) => number.clone(),
        Some(_) => return None,
    };
    if let (Some(a), Some(b)) = (current.as_i64(), by.as_i64()) {
        if let Some(sum) = a.checked_add(b) {
            return Some(Number::from(sum));
        }
    }
    Number::from_f64(current.as_f64()? + by.as_f64()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::lookup;
    use serde_json::json;

    fn stock() -> &'static Table {
        lookup("product_stock").unwrap()
    }

    #[test]
    fn the_counters_are_stock_expected_cash_balance_and_points() {
        let counters: Vec<_> = crate::registry::TABLES
            .iter()
            .flat_map(|table| table.counters().map(move |c| format!("{}.{c}", table.name)))
            .collect();
        assert_eq!(
            counters,
            [
                "customers.balance",
                "customers.points",
                "shifts.expected_cash",
                "product_stock.quantity"
            ]
        );
    }

    #[test]
    fn increments_add_whole_numbers_exactly_and_start_from_zero() {
        let increments = stock().parse_increments(&json!({"quantity": -3})).unwrap();
        let mut data = json!({"product_id": "p1", "quantity": 10});
        apply_increments(&mut data, &increments).unwrap();
        assert_eq!(data, json!({"product_id": "p1", "quantity": 7}));
        let mut empty = json!({"product_id": "p1"});
        apply_increments(&mut empty, &increments).unwrap();
        assert_eq!(empty["quantity"], json!(-3));
        let half = stock().parse_increments(&json!({"quantity": 0.5})).unwrap();
        apply_increments(&mut data, &half).unwrap();
        assert_eq!(data["quantity"], json!(7.5));
    }

    #[test]
    fn a_sum_past_i64_becomes_a_float_and_past_f64_is_refused() {
        let mut data = json!({"product_id": "p1", "quantity": i64::MAX});
        let one = stock().parse_increments(&json!({"quantity": 1})).unwrap();
        apply_increments(&mut data, &one).unwrap();
        assert_eq!(data["quantity"].as_f64(), Some(i64::MAX as f64 + 1.0));
        let mut huge = json!({"product_id": "p1", "quantity": f64::MAX});
        let more = stock()
            .parse_increments(&json!({"quantity": f64::MAX}))
            .unwrap();
        let err = apply_increments(&mut huge, &more).unwrap_err().0;
        assert!(
            err.starts_with("data.quantity would be out of range"),
            "{err}"
        );
    }

    #[test]
    fn bad_increments_name_what_is_wrong() {
        let err = |table: &str, value| {
            lookup(table)
                .unwrap()
                .parse_increments(&value)
                .unwrap_err()
                .0
        };
        assert_eq!(
            err("product_stock", json!({"product_id": 1})),
            "increments.product_id: not a counter of product_stock (its counters: quantity)"
        );
        assert_eq!(
            err("products", json!({"price": 1})),
            "increments.price: products has no counters"
        );
        assert_eq!(
            err("product_stock", json!({"quantity": "1"})),
            "increments.quantity must be a number"
        );
        assert_eq!(
            err("product_stock", json!({})),
            "increments must name at least one counter"
        );
        assert_eq!(
            err("product_stock", json!([1])),
            "increments must be an object of counter names and numbers"
        );
    }

    #[test]
    fn a_write_that_leaves_a_counter_out_keeps_it_and_one_that_sets_it_wins() {
        let current = json!({"product_id": "p1", "quantity": 8, "warehouse_id": "w1"});
        let mut moved = json!({"product_id": "p1", "warehouse_id": "w2"});
        stock().keep_counters(&mut moved, &current);
        assert_eq!(
            moved,
            json!({"product_id": "p1", "warehouse_id": "w2", "quantity": 8})
        );
        let mut counted = json!({"product_id": "p1", "quantity": 20});
        stock().keep_counters(&mut counted, &current);
        assert_eq!(counted["quantity"], json!(20));
    }
}
