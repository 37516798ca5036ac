//! Generated push records for the property test (`fuzz_push`): valid ones built from the
//! table registry with unusual but legal values, and invalid ones with exactly one flaw.

use chrono::{DateTime, SecondsFormat, Utc};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};
use shared::registry::{Kind, Table, MAX_DATA_DEPTH, TABLES};

/// What the server must answer for a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Synced,
    Refused,
}

/// The record id: assigned when the batch is sent, so every run writes new records.
#[derive(Debug, Clone)]
enum Id {
    Plain,
    /// Exactly 64 characters, the longest accepted.
    AtLimit,
    Bad(Value),
}

#[derive(Debug, Clone)]
pub struct Generated {
    pub expect: Expect,
    pub is_deleted: bool,
    id: Id,
    /// The record without its id.
    record: Value,
    /// A token no `Value` can hold (`1e400`, a lone surrogate), put in place of [`RAW`].
    raw: Option<&'static str>,
}

const RAW: &str = "__raw_token__";

impl Generated {
    /// The record's JSON text with its id made from `unique`.
    pub fn text(&self, unique: &str) -> String {
        let id = match &self.id {
            Id::Plain => json!(unique),
            Id::AtLimit => json!(format!("{unique}:{}", "x".repeat(63 - unique.len()))),
            Id::Bad(value) => value.clone(),
        };
        let mut record = self.record.clone();
        record["record_id"] = id;
        let text = record.to_string();
        match self.raw {
            Some(token) => text.replacen(&format!("\"{RAW}\""), token, 1),
            None => text,
        }
    }
}

/// A batch of 1 to 20 records, about a third of them flawed.
/// A runner of `$var` cases (`default` without it), failures not persisted.
pub fn runner(var: &str, default: u32) -> proptest::test_runner::TestRunner {
    let cases = std::env::var(var)
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default);
    proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })
}

pub fn batch() -> impl Strategy<Value = Vec<Generated>> {
    prop::collection::vec(prop_oneof![2 => valid(), 1 => invalid()], 1..=20)
}

fn table() -> impl Strategy<Value = &'static Table> {
    select(TABLES.iter().collect::<Vec<_>>())
}

fn valid() -> impl Strategy<Value = Generated> {
    (table(), prop::bool::weighted(0.1)).prop_flat_map(|(table, is_deleted)| {
        (valid_data(table), valid_time(), id_shape(), base_version()).prop_map(
            move |(data, time, id, base)| {
                let mut record = json!({"table_name": table.name, "data": data,
                                        "local_updated_at": time, "is_deleted": is_deleted});
                if let Some(base) = base {
                    record["base_version"] = base;
                }
                Generated {
                    expect: Expect::Synced,
                    is_deleted,
                    id,
                    record,
                    raw: None,
                }
            },
        )
    })
}

fn id_shape() -> impl Strategy<Value = Id> {
    prop_oneof![4 => Just(Id::Plain), 1 => Just(Id::AtLimit)]
}

fn base_version() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        any::<u64>().prop_map(|v| Some(json!(v)))
    ]
}

/// The declared fields (optional ones sometimes) and a few undeclared ones.
fn valid_data(table: &'static Table) -> impl Strategy<Value = Value> {
    let declared: Vec<_> = table
        .fields
        .iter()
        .map(|field| (Just(field), valid_value(field.kind), any::<bool>()))
        .collect();
    let extra = prop::collection::vec((extra_key(), wild_value()), 0..3);
    (declared, extra).prop_map(|(declared, extra)| {
        let mut data: Map<String, Value> = extra.into_iter().collect();
        for (field, value, keep) in declared {
            if keep || field.required {
                data.insert(field.name.to_owned(), value);
            }
        }
        Value::Object(data)
    })
}

fn extra_key() -> impl Strategy<Value = String> {
    select(vec![
        "note",
        "ملاحظة",
        "🍵 tag",
        "\u{0}k",
        "",
        "a.b",
        "$.x",
        "e\u{301}\u{200f}",
    ])
    .prop_map(str::to_owned)
}

fn wild_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter),
        select(vec![
            "شاي بالنعناع",
            "قهوة ☕ عربية",
            "\u{202b}RTL embedding\u{202c}",
            "a\u{0}b",
            "👨‍👩‍👧 family",
            "Z\u{351}\u{34f}\u{35c}algo",
            "\u{feff}BOM",
        ])
        .prop_map(str::to_owned),
        "[a-z]{1000,3000}",
    ]
}

fn wild_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |n| n.is_finite())
            .prop_map(|n| json!(n)),
        select(vec![f64::MAX, f64::MIN_POSITIVE, 5e-324, -0.0]).prop_map(|n| json!(n)),
    ]
}

/// Any JSON value that nests a few levels at most.
fn wild_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        wild_text().prop_map(Value::String),
        wild_number(),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((extra_key(), inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn valid_value(kind: Kind) -> BoxedStrategy<Value> {
    match kind {
        Kind::Text => wild_text().prop_map(|s| json!(format!("n{s}"))).boxed(),
        Kind::Reference => prop_oneof![
            wild_text().prop_map(|s| json!(format!("r{s}"))),
            (1..=u64::MAX).prop_map(|n| json!(n)),
        ]
        .boxed(),
        Kind::Amount => prop_oneof![
            (0..u64::MAX).prop_map(|n| json!(n)),
            (0.0..1e300f64).prop_map(|n| json!(n))
        ]
        .boxed(),
        Kind::Positive => prop_oneof![
            (1..u64::MAX).prop_map(|n| json!(n)),
            (1e-300..1e300f64).prop_map(|n| json!(n))
        ]
        .boxed(),
        Kind::Counter => wild_number().boxed(),
        Kind::Timestamp => valid_time().prop_map(Value::String).boxed(),
        Kind::OneOf(allowed) => select(allowed.to_vec()).prop_map(|s| json!(s)).boxed(),
    }
}

fn invalid_value(kind: Kind) -> BoxedStrategy<Value> {
    let values = match kind {
        Kind::Text => vec![json!(""), json!("   "), json!("\u{3000}"), json!(5)],
        Kind::Reference => vec![
            json!(0),
            json!(-1),
            json!(""),
            json!(" "),
            json!(1.5),
            json!(true),
            json!([]),
        ],
        Kind::Amount => vec![json!(-1), json!(-0.5), json!("5"), json!(true)],
        Kind::Positive => vec![json!(0), json!(-3), json!("1"), json!(0.0)],
        Kind::Counter => vec![json!("1"), json!(true), json!({})],
        Kind::Timestamp => vec![
            json!("1999-12-31T23:59:59Z"),
            json!("2039-01-01T00:00:00Z"),
            json!("yesterday"),
            json!(5),
        ],
        Kind::OneOf(_) => vec![json!("sideways"), json!(1)],
    };
    select(values).boxed()
}

/// An RFC 3339 time from 2000 to 20 hours ahead, at any precision and offset.
fn valid_time() -> impl Strategy<Value = String> {
    let earliest = 946_684_800i64;
    let latest = Utc::now().timestamp() + 20 * 3600;
    let precision = select(vec![
        SecondsFormat::Secs,
        SecondsFormat::Millis,
        SecondsFormat::Micros,
        SecondsFormat::Nanos,
    ]);
    let offset = select(vec![0, 14 * 3600, -12 * 3600, 5 * 3600 + 1800]);
    (earliest..latest, 0..1_000_000_000u32, precision, offset).prop_map(
        |(secs, nanos, precision, offset)| {
            let utc = DateTime::<Utc>::from_timestamp(secs, nanos).unwrap();
            let zone = chrono::FixedOffset::east_opt(offset).unwrap();
            utc.with_timezone(&zone)
                .to_rfc3339_opts(precision, offset == 0)
        },
    )
}

fn invalid_time() -> impl Strategy<Value = Value> {
    let far_ahead = (Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    select(vec![
        json!("1999-12-31T23:59:59Z"),
        json!("1970-01-01T00:00:00Z"),
        json!("0001-01-01T00:00:00Z"),
        json!(far_ahead),
        json!("2039-01-19T03:14:08Z"),
        json!("9999-12-31T23:59:59Z"),
        json!("2025-13-01T00:00:00Z"),
        json!("yesterday"),
        json!(""),
        json!(1733567400),
    ])
}

/// One flaw applied to an otherwise valid, not deleted record.
#[derive(Debug, Clone)]
enum Flaw {
    UnknownTable(&'static str),
    Id(Value),
    Time(Value),
    MissingTime,
    /// The `n`th declared field gets a wrong value, or goes missing when required.
    Field(usize, bool),
    TooDeep(usize),
    NotAnObject(Value),
    BaseVersion(Value),
    IsDeleted(Value),
    Raw(&'static str),
}

fn flaw() -> impl Strategy<Value = Flaw> {
    prop_oneof![
        select(vec![
            "users",
            "Products",
            "products; DROP TABLE records",
            ""
        ])
        .prop_map(Flaw::UnknownTable),
        select(vec![
            json!(""),
            json!("x".repeat(65)),
            json!("has space"),
            json!("مرحبا"),
            json!(12),
            json!(null),
            json!("a/b")
        ])
        .prop_map(Flaw::Id),
        invalid_time().prop_map(Flaw::Time),
        Just(Flaw::MissingTime),
        (0..8usize, any::<bool>()).prop_map(|(n, missing)| Flaw::Field(n, missing)),
        ((MAX_DATA_DEPTH + 1)..140).prop_map(Flaw::TooDeep),
        select(vec![json!([1]), json!("text"), json!(null), json!(3)]).prop_map(Flaw::NotAnObject),
        select(vec![json!(-1), json!(1.5), json!("3"), json!(true)]).prop_map(Flaw::BaseVersion),
        select(vec![json!("yes"), json!(1), json!({})]).prop_map(Flaw::IsDeleted),
        select(vec!["1e400", "-1e400", "\"\\ud800\"", "\"\\udc00x\""]).prop_map(Flaw::Raw),
    ]
}

fn invalid() -> impl Strategy<Value = Generated> {
    (valid(), flaw()).prop_flat_map(|(mut base, flaw)| {
        base.record["is_deleted"] = json!(false);
        base.is_deleted = false;
        base.expect = Expect::Refused;
        let table = shared::registry::lookup(base.record["table_name"].as_str().unwrap()).unwrap();
        let wrong = match &flaw {
            Flaw::Field(n, _) if !table.fields.is_empty() => {
                invalid_value(table.fields[n % table.fields.len()].kind)
            }
            _ => Just(Value::Null).boxed(),
        };
        (Just(base), Just(flaw), wrong).prop_map(|(base, flaw, wrong)| with_flaw(base, flaw, wrong))
    })
}

fn nest(levels: usize) -> Value {
    (1..levels).fold(json!(1), |inner, _| json!([inner]))
}

fn with_flaw(mut generated: Generated, flaw: Flaw, wrong: Value) -> Generated {
    let record = &mut generated.record;
    let table = shared::registry::lookup(record["table_name"].as_str().unwrap()).unwrap();
    match flaw {
        Flaw::UnknownTable(name) => record["table_name"] = json!(name),
        Flaw::Id(id) => generated.id = Id::Bad(id),
        Flaw::Time(time) => record["local_updated_at"] = time,
        Flaw::MissingTime => {
            record.as_object_mut().unwrap().remove("local_updated_at");
        }
        Flaw::Field(n, missing) if !table.fields.is_empty() => {
            let field = &table.fields[n % table.fields.len()];
            if missing && field.required {
                record["data"].as_object_mut().unwrap().remove(field.name);
            } else {
                record["data"][field.name] = wrong;
            }
        }
        // A table without declared fields: its data is made deeper than allowed instead.
        Flaw::Field(..) => record["data"]["deep"] = nest(MAX_DATA_DEPTH + 1),
        // `data` is level 1 and `nest(levels)` has `levels - 1`: `levels` in all.
        Flaw::TooDeep(levels) => record["data"]["deep"] = nest(levels),
        Flaw::NotAnObject(data) => record["data"] = data,
        Flaw::BaseVersion(base) => record["base_version"] = base,
        Flaw::IsDeleted(value) => record["is_deleted"] = value,
        Flaw::Raw(token) => {
            record["data"]["raw"] = json!(RAW);
            generated.raw = Some(token);
        }
    }
    generated
}
