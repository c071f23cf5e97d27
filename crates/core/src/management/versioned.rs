//! Optimistic concurrency shared by every resource: If-Match checks and retried
//! read-modify-write against a version column.

use std::future::Future;

use crate::model::{IfMatch, Meta};
use crate::{ids, Error, Result};

/// How many times an update without `If-Match` re-reads and retries after losing a race.
const ATTEMPTS: usize = 3;

pub(crate) trait Versioned: Clone {
    fn meta(&self) -> &Meta;
    fn meta_mut(&mut self) -> &mut Meta;
}

macro_rules! versioned {
    ($($ty:ty),+) => { $(impl Versioned for $ty {
        fn meta(&self) -> &Meta { &self.meta }
        fn meta_mut(&mut self) -> &mut Meta { &mut self.meta }
    })+ };
}
versioned!(
    crate::model::Tenant,
    crate::model::User,
    crate::model::Application,
    crate::webhooks::Subscription,
    crate::federation::Connection,
    crate::actions::Action,
    crate::apis::Api,
    crate::apis::ClientGrant,
    crate::apis::Role,
    crate::organizations::Organization
);

fn check_precondition(if_match: Option<&IfMatch>, meta: &Meta) -> Result<()> {
    match if_match {
        Some(condition) if !condition.matches(&meta.etag()) => Err(Error::precondition_failed(Some(meta.etag()))),
        _ => Ok(()),
    }
}

/// Reads the resource, applies `change`, and writes it back only if nobody wrote in
/// between. With `If-Match` a lost race is the client's `precondition_failed`; without it
/// the change is re-applied to the fresh row.
pub(crate) async fn update<T, Load, LoadFut, Save, SaveFut>(
    what: &str,
    if_match: Option<&IfMatch>,
    load: Load,
    change: impl Fn(&mut T) -> Result<()>,
    save: Save,
) -> Result<T>
where
    T: Versioned,
    Load: Fn() -> LoadFut,
    LoadFut: Future<Output = Result<Option<T>>>,
    Save: Fn(T, i64) -> SaveFut,
    SaveFut: Future<Output = Result<Option<T>>>,
{
    for _ in 0..ATTEMPTS {
        let current = load().await?.ok_or_else(|| Error::not_found(what))?;
        check_precondition(if_match, current.meta())?;
        let mut next = current.clone();
        change(&mut next)?;
        let meta = next.meta_mut();
        meta.version = current.meta().version + 1;
        meta.updated_at = ids::now_ms().max(current.meta().updated_at + 1);
        if let Some(saved) = save(next, current.meta().version).await? {
            return Ok(saved);
        }
        if if_match.is_some() {
            return Err(Error::precondition_failed(None));
        }
    }
    Err(Error::precondition_failed(None))
}

/// Deletes the resource if it still has the version the client saw.
pub(crate) async fn delete<T, Load, LoadFut, Remove, RemoveFut>(
    what: &str,
    if_match: Option<&IfMatch>,
    load: Load,
    remove: Remove,
) -> Result<()>
where
    T: Versioned,
    Load: Fn() -> LoadFut,
    LoadFut: Future<Output = Result<Option<T>>>,
    Remove: Fn(i64) -> RemoveFut,
    RemoveFut: Future<Output = Result<bool>>,
{
    for _ in 0..ATTEMPTS {
        let current = load().await?.ok_or_else(|| Error::not_found(what))?;
        check_precondition(if_match, current.meta())?;
        if remove(current.meta().version).await? {
            return Ok(());
        }
        if if_match.is_some() {
            return Err(Error::precondition_failed(None));
        }
    }
    Err(Error::precondition_failed(None))
}
