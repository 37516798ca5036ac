//! Checksums that let a device prove its copy of a scope equals the server's: per table,
//! the sum modulo 2^32 of every stored record's (tombstones too) CRC-32 of
//! `record_id:sync_version:is_deleted` (`is_deleted` as `0` or `1`). A sum can be kept up to
//! date by adding a record's new term and subtracting its old one, and summed over scopes.

use serde::{Deserialize, Serialize};

/// One record's term of its table's checksum.
pub fn record_term(record_id: &str, sync_version: u64, is_deleted: bool) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(record_id.as_bytes());
    hasher.update(format!(":{sync_version}:{}", u8::from(is_deleted)).as_bytes());
    hasher.finalize()
}

/// A table's checksum and stored records, built record by record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sum {
    pub checksum: u32,
    pub record_count: u64,
}

impl Sum {
    pub fn add(&mut self, record_id: &str, sync_version: u64, is_deleted: bool) {
        self.checksum =
            self.checksum
                .wrapping_add(record_term(record_id, sync_version, is_deleted));
        self.record_count += 1;
    }
}

/// `GET /api/sync/checksums`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChecksumsResponse {
    /// With `cursor`: whether a record of the caller's scope changed after it (then pull
    /// first: the sums are the server's current state, not the state at the cursor).
    /// Without one: `None`.
    pub changed_since_cursor: Option<bool>,
    /// Every synced table the caller's scope holds, in registry order.
    pub tables: Vec<TableChecksum>,
}

/// One table's records in the caller's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TableChecksum {
    pub table_name: String,
    /// Stored records, tombstones included.
    pub record_count: u64,
    /// Sum of [`record_term`] of those records, modulo 2^32.
    pub checksum: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_is_the_crc32_of_id_version_and_deleted_flag() {
        // CRC-32 (IEEE) of "inv-1:3:0", as MariaDB's CRC32(), Python's zlib.crc32 and the
        // TypeScript package's crc-32 compute it.
        assert_eq!(record_term("inv-1", 3, false), 3_249_037_006);
        assert_eq!(
            record_term("inv-1", 3, false),
            crc32fast::hash(b"inv-1:3:0")
        );
        assert_ne!(
            record_term("inv-1", 3, true),
            record_term("inv-1", 3, false)
        );
        assert_ne!(
            record_term("inv-1", 4, false),
            record_term("inv-1", 3, false)
        );
    }

    #[test]
    fn a_sum_wraps_modulo_2_32_and_does_not_depend_on_order() {
        let mut forward = Sum::default();
        let mut backward = Sum::default();
        let ids: Vec<String> = (0..1000).map(|n| format!("r{n}")).collect();
        for id in &ids {
            forward.add(id, 1, false);
        }
        for id in ids.iter().rev() {
            backward.add(id, 1, false);
        }
        let total: u64 = ids
            .iter()
            .map(|id| u64::from(record_term(id, 1, false)))
            .sum();

        assert_eq!(forward, backward);
        assert_eq!(u64::from(forward.checksum), total % (1 << 32));
        assert_eq!(forward.record_count, 1000);
    }
}
