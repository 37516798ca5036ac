//! What a device pulls and how: every table of its scope or a subset of the 31, page sizes,
//! and compressed pages; checked once, when the client opens.

use std::time::Duration;

use possync_wire::registry;

/// Largest page the server serves (`limit`).
pub const MAX_PAGE: u32 = 1_000_000;

/// How the device pulls. [`PullOptions::default`] pulls every table of the device's scope,
/// in pages of [`PullOptions::CATCH_UP_PAGE`] while catching up, compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullOptions {
    /// Only these tables (the server's `tables` filter on every pull); `None`: every table of
    /// the scope. Each must be one of the 31 synced tables. A cursor belongs to the set it
    /// was pulled with: when the set changes, the stored cursor is dropped and the new set is
    /// pulled from scratch (records of tables left out stay as they were, no longer updated).
    pub tables: Option<Vec<String>>,
    /// Changes per page while catching up: a first sync, a resync, or once a page came back
    /// full. Each page is stored in one local transaction.
    pub catch_up_page: u32,
    /// Changes per page of a pull from a cursor (usually a handful of changes); a full page
    /// switches to `catch_up_page`.
    pub page: u32,
    /// Asks for zstd-compressed pages (`Accept-Encoding: zstd`): a page of records takes a
    /// twentieth to a thirtieth of its JSON size on the network.
    pub compressed: bool,
    /// How often [`crate::Client::sync`] also runs [`crate::Client::verify`] (the first sync
    /// after opening always does); `None`: only when the app calls it. A verification reads
    /// every local record once.
    pub verify_every: Option<Duration>,
}

impl PullOptions {
    /// 20,000 changes (~5 MB of JSON, ~0.2 MB in zstd) a page. possync-sim's first sync of
    /// 120,000 records: pages of 500 took 2.3-5.0 s, 5,000 1.3-2.5 s, 20,000 1.25-1.7 s,
    /// 50,000 1.1-1.6 s; 20,000 is as fast as 50,000 within the noise, with pages (and the
    /// memory one takes) 2.5 times smaller and more progress reports.
    pub const CATCH_UP_PAGE: u32 = 20_000;
    /// The page of a pull from a cursor.
    pub const PAGE: u32 = 1_000;
    /// Ten minutes between the verifications [`crate::Client::sync`] runs.
    pub const VERIFY_EVERY: Duration = Duration::from_secs(600);
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            tables: None,
            catch_up_page: Self::CATCH_UP_PAGE,
            page: Self::PAGE,
            compressed: true,
            verify_every: Some(Self::VERIFY_EVERY),
        }
    }
}

/// Options a client cannot open with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadPullOptions {
    #[error("unknown table {0:?} in tables; the synced tables are {names}", names = table_names())]
    UnknownTable(String),
    #[error("tables is empty: leave it out (None) to pull every table")]
    NoTables,
    #[error("page sizes must be from 1 to {MAX_PAGE}")]
    PageSize,
}

fn table_names() -> String {
    let names: Vec<&str> = registry::TABLES.iter().map(|t| t.name).collect();
    names.join(", ")
}

impl PullOptions {
    /// The options with `tables` checked, without repeats, in one order.
    pub(crate) fn checked(mut self) -> Result<PullOptions, BadPullOptions> {
        for size in [self.catch_up_page, self.page] {
            if !(1..=MAX_PAGE).contains(&size) {
                return Err(BadPullOptions::PageSize);
            }
        }
        if let Some(tables) = &mut self.tables {
            if tables.is_empty() {
                return Err(BadPullOptions::NoTables);
            }
            for name in tables.iter_mut() {
                let table = registry::lookup(name.trim())
                    .ok_or_else(|| BadPullOptions::UnknownTable(name.clone()))?;
                *name = table.name.to_owned();
            }
            tables.sort();
            tables.dedup();
        }
        Ok(self)
    }

    /// The server's `tables` parameter, if any.
    pub(crate) fn tables_param(&self) -> Option<String> {
        self.tables.as_ref().map(|tables| tables.join(","))
    }

    /// What the stored cursor belongs to: `*` (every table) or the tables, comma-separated.
    pub(crate) fn cursor_scope(&self) -> String {
        self.tables_param().unwrap_or_else(|| ALL_TABLES.to_owned())
    }

    /// Whether changes of `table` are kept on this device.
    pub(crate) fn keeps(&self, table: &str) -> bool {
        self.tables
            .as_ref()
            .is_none_or(|tables| tables.iter().any(|t| t == table))
    }
}

/// The cursor scope of every table (also of a store from before subsets existed).
pub(crate) const ALL_TABLES: &str = "*";

#[cfg(test)]
mod tests {
    use super::*;

    fn with_tables(tables: &[&str]) -> PullOptions {
        PullOptions {
            tables: Some(tables.iter().map(|t| t.to_string()).collect()),
            ..PullOptions::default()
        }
    }

    #[test]
    fn tables_are_checked_sorted_and_deduplicated() {
        let checked = with_tables(&["products", " invoices", "products"])
            .checked()
            .unwrap();

        assert_eq!(checked.tables_param().as_deref(), Some("invoices,products"));
        assert_eq!(checked.cursor_scope(), "invoices,products");
        assert!(checked.keeps("invoices") && !checked.keeps("customers"));
    }

    #[test]
    fn an_unknown_table_is_refused_by_name() {
        let err = with_tables(&["invoices", "invoice"]).checked().unwrap_err();

        assert_eq!(err, BadPullOptions::UnknownTable("invoice".into()));
        assert!(err.to_string().contains("products, product_categories"));
    }

    #[test]
    fn an_empty_subset_and_a_page_of_zero_are_refused() {
        assert_eq!(
            with_tables(&[]).checked().unwrap_err(),
            BadPullOptions::NoTables
        );
        let zero = PullOptions {
            catch_up_page: 0,
            ..PullOptions::default()
        };
        assert_eq!(zero.checked().unwrap_err(), BadPullOptions::PageSize);
    }

    #[test]
    fn every_table_is_one_scope_that_keeps_everything() {
        let all = PullOptions::default().checked().unwrap();

        assert_eq!((all.tables_param(), all.cursor_scope()), (None, "*".into()));
        assert!(all.keeps("settings"));
    }
}
