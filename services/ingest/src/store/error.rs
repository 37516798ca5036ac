//! Why a write failed: a caller's device bound elsewhere (the caller's mistake), or the
//! database.

use std::sync::Arc;

use crate::devices::DeviceError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The write's `device_id` is registered to another client or branch; nothing was written.
    #[error("device_id is registered to another client or branch")]
    DeviceBoundElsewhere,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The database could not take the write ([`shared::storage::unavailable`]); the cause
    /// is shared by every push of the client's queue that got this answer at once.
    #[error("the database is unavailable")]
    Unavailable(#[source] Arc<sqlx::Error>),
}

impl From<DeviceError> for StoreError {
    fn from(err: DeviceError) -> Self {
        match err {
            DeviceError::BoundElsewhere => StoreError::DeviceBoundElsewhere,
            DeviceError::Database(err) => StoreError::Database(err),
        }
    }
}
