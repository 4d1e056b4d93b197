//! Keyset pagination, the one way lists are paged: a page holds at most `limit` items (a
//! documented maximum, never a silent cut) and, when more follow, the opaque cursor of the next
//! page. The cursor names the last item shown (its sort time and id), so pages stay stable while
//! new items arrive at the top.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use crate::{DomainError, DomainResult};

/// Items per page when the caller does not say.
pub const DEFAULT_LIMIT: u64 = 100;
/// The most items one page holds.
pub const MAX_LIMIT: u64 = 200;

/// Where a page starts: after the item with this sort time and id (in the list's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// The wire form: microseconds since the epoch, `_`, the id (`1733601234567890_6f1c…`).
    pub fn encode(&self) -> String {
        format!("{}_{}", self.at.timestamp_micros(), self.id.simple())
    }

    /// Parses [`Cursor::encode`]'s form; anything else is an invalid `after`.
    pub fn parse(value: &str) -> DomainResult<Self> {
        let bad = || DomainError::invalid("after", "is not a cursor this list returned");
        let (micros, id) = value.trim().split_once('_').ok_or_else(bad)?;
        let at = micros.parse::<i64>().ok().and_then(DateTime::from_timestamp_micros).ok_or_else(bad)?;
        let id = Uuid::parse_str(id).map_err(|_| bad())?;
        Ok(Self { at, id })
    }
}

/// Which page to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// 1..=[`MAX_LIMIT`].
    pub limit: u64,
    pub after: Option<Cursor>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { limit: DEFAULT_LIMIT, after: None }
    }
}

impl PageRequest {
    /// The first `limit` items (the newest).
    pub const fn first(limit: u64) -> Self {
        Self { limit, after: None }
    }

    /// From the `limit` and `after` query parameters (both optional; empty ones are absent).
    pub fn parse(limit: Option<&str>, after: Option<&str>) -> DomainResult<Self> {
        let limit = match limit.map(str::trim).filter(|l| !l.is_empty()) {
            None => DEFAULT_LIMIT,
            Some(l) => l.parse::<u64>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                DomainError::invalid("limit", format!("must be a whole number from 1 to {MAX_LIMIT}"))
            })?,
        };
        let after = after.map(str::trim).filter(|a| !a.is_empty()).map(Cursor::parse).transpose()?;
        Ok(Self { limit, after })
    }

    /// `query` ordered newest first by `at` then `id`, from this page's cursor on, one row more
    /// than a page ([`PageRequest::page`] cuts it).
    pub fn select<E: EntityTrait>(&self, query: Select<E>, at: E::Column, id: E::Column) -> Select<E> {
        let query = match self.after {
            Some(after) => query.filter(
                Condition::any().add(at.lt(after.at)).add(Condition::all().add(at.eq(after.at)).add(id.lt(after.id))),
            ),
            None => query,
        };
        query.order_by_desc(at).order_by_desc(id).limit(self.fetch() as u64)
    }

    /// How many rows to fetch: one more than a page, to know whether another follows.
    pub fn fetch(&self) -> i64 {
        self.limit as i64 + 1
    }

    /// Cuts `rows` (fetched with [`PageRequest::fetch`]) to a page; `key` gives an item's cursor.
    pub fn page<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> Cursor) -> Page<T> {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        let next = if more { rows.last().map(key) } else { None };
        Page { items: rows, next }
    }
}

/// Every item of a paged list, read [`MAX_LIMIT`] at a time with `read`; more than `cap` items
/// is `too_many` (a list is refused whole, never cut).
pub(crate) async fn read_all<T, Fut>(
    cap: usize,
    too_many: impl FnOnce() -> DomainError,
    mut read: impl FnMut(PageRequest) -> Fut,
) -> DomainResult<Vec<T>>
where
    Fut: std::future::Future<Output = DomainResult<Page<T>>>,
{
    let mut page = PageRequest::first(MAX_LIMIT);
    let mut all = Vec::new();
    loop {
        let got = read(page).await?;
        all.extend(got.items);
        if all.len() > cap {
            return Err(too_many());
        }
        match got.next {
            Some(next) => page.after = Some(next),
            None => return Ok(all),
        }
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_anything_else() {
        let c =
            Cursor { at: DateTime::from_timestamp_micros(1_733_601_234_567_890).expect("time"), id: Uuid::new_v4() };
        assert_eq!(Cursor::parse(&c.encode()).expect("parse"), c);
        for bad in ["", "x", "12_", "_6f1c", "abc_6f1c3a9e0b0b4d5e8f5d2f4a1b2c3d4e", "1_not-a-uuid"] {
            assert!(Cursor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_are_bounded_and_say_so() {
        assert_eq!(PageRequest::parse(None, None).expect("default").limit, DEFAULT_LIMIT);
        for bad in ["0", "201", "zero", "-1", "1.5"] {
            assert!(PageRequest::parse(Some(bad), None).is_err(), "{bad}");
        }
        assert_eq!(PageRequest::parse(Some("200"), Some(" ")).expect("max").after, None);
    }

    #[test]
    fn a_page_names_its_successor_only_when_one_exists() {
        let at = Utc::now();
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        let req = PageRequest::first(2);
        let page = req.page(ids.clone(), |id| Cursor { at, id: *id });
        assert_eq!(page.items, ids[..2]);
        assert_eq!(page.next, Some(Cursor { at, id: ids[1] }));
        let last = req.page(ids[..2].to_vec(), |id| Cursor { at, id: *id });
        assert_eq!(last.next, None);
    }
}
