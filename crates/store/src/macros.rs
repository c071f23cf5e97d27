//! Query helpers shared by the `DirectoryStore` and `SignInStore` implementations.

use intelliauth_core::ports::{StoreError, StoreResult};

pub(crate) fn decoded<T>(result: sqlx::Result<T>) -> StoreResult<T> {
    result.map_err(|e| StoreError::Internal(format!("stored row does not decode: {e}")))
}

/// Fetches at most one row and decodes it with `$decode`.
macro_rules! fetch_one_as {
    ($store:expr, $decode:path, $query:expr) => {
        $crate::on_pool!($store, pool => match $query.fetch_optional(pool).await.map_err($crate::map_error)? {
            Some(row) => $crate::macros::decoded($decode(&row)).map(Some),
            None => Ok(None),
        })
    };
}

/// Fetches every row and decodes each with `$decode`.
macro_rules! fetch_all_as {
    ($store:expr, $decode:path, $query:expr) => {
        $crate::on_pool!($store, pool => $query.fetch_all(pool).await.map_err($crate::map_error)?.iter().map(|row| $crate::macros::decoded($decode(row))).collect())
    };
}

/// Executes a write and reports whether it touched a row.
macro_rules! touched {
    ($store:expr, $query:expr) => {
        $crate::on_pool!($store, pool => $query.execute(pool).await.map(|done| done.rows_affected() > 0).map_err($crate::map_error))
    };
}

/// Builds `$record` from `$row`, each listed field read from the column of the same name by
/// the `Columns` method it is listed under (`text: id, tenant_id; int: created_at;`); the
/// fields after `and` are given as expressions (other names, parsing, JSON).
macro_rules! from_columns {
    ($row:ident => $record:ident { $($read:ident: $($field:ident),+;)* } $(and { $($other:ident: $value:expr),* $(,)? })?) => {
        $record { $($($field: $row.$read(stringify!($field))?,)+)* $($($other: $value,)*)? }
    };
}
