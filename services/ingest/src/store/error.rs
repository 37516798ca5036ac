//! Why a write failed: a caller's device bound elsewhere (the caller's mistake), or the
//! database.

use crate::devices::DeviceError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The write's `device_id` is registered to another client or branch; nothing was written.
    #[error("device_id is registered to another client or branch")]
    DeviceBoundElsewhere,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<DeviceError> for StoreError {
    fn from(err: DeviceError) -> Self {
        match err {
            DeviceError::BoundElsewhere => StoreError::DeviceBoundElsewhere,
            DeviceError::Database(err) => StoreError::Database(err),
        }
    }
}
