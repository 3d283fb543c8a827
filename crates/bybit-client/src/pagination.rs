//! Following `nextPageCursor` to the end, and refusing cursors that would loop.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use crate::error::{Error, PaginationError};

/// One decoded page.
#[derive(Debug)]
pub(crate) struct Page<T> {
    pub(crate) category: Option<String>,
    pub(crate) list: Vec<T>,
    pub(crate) next_cursor: Option<String>,
    /// How long to wait before the next request, when this one used up the rate-limit
    /// window; honoured only if there is a next request.
    pub(crate) wait_before_next: Option<Duration>,
}

/// Fetches pages until the cursor is missing or empty or a page is empty, and returns every
/// item, or an error: never part of the list.
///
/// Bybit can send a cursor on its last page, and a page may hold fewer items than `limit`,
/// so only an empty cursor or an empty page ends the list.
///
/// A page that used up the rate-limit window delays the request after it, never the end of
/// the list: a caller waiting for the last page must not also wait for a window it will not
/// use.
pub(crate) async fn collect_pages<T, F, Fut>(
    category: &str,
    max_pages: u32,
    mut fetch: F,
) -> Result<Vec<T>, Error>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut page_no = 0u32;
    let mut wait = None;
    loop {
        if page_no == max_pages {
            return Err(PaginationError::TooManyPages { max_pages }.into());
        }
        if let Some(wait) = wait.take() {
            tracing::debug!(?wait, "rate-limit window used up, waiting for its reset");
            tokio::time::sleep(wait).await;
        }
        page_no += 1;
        let page = fetch(cursor.take()).await?;
        wait = page.wait_before_next;
        if let Some(got) = page
            .category
            .as_deref()
            .filter(|c| !c.is_empty() && *c != category)
        {
            return Err(PaginationError::CategoryMismatch {
                expected: category.to_owned(),
                got: got.to_owned(),
                page: page_no,
            }
            .into());
        }
        if page.list.is_empty() {
            break;
        }
        items.extend(page.list);
        match page.next_cursor.filter(|c| !c.is_empty()) {
            None => break,
            Some(next) => {
                if !seen.insert(next.clone()) {
                    return Err(PaginationError::RepeatedCursor {
                        cursor: next,
                        page: page_no,
                    }
                    .into());
                }
                cursor = Some(next);
            }
        }
    }
    tracing::debug!(
        category,
        pages = page_no,
        items = items.len(),
        "instrument list complete"
    );
    Ok(items)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn page(list: &[u32], next: Option<&str>) -> Page<u32> {
        Page {
            category: None,
            list: list.to_vec(),
            next_cursor: next.map(str::to_owned),
            wait_before_next: None,
        }
    }

    async fn run(
        pages: Vec<Page<u32>>,
        max_pages: u32,
    ) -> (Result<Vec<u32>, Error>, Vec<Option<String>>) {
        let mut pages = pages.into_iter();
        let mut asked = Vec::new();
        let result = collect_pages("linear", max_pages, |cursor| {
            asked.push(cursor);
            let next = pages.next().unwrap();
            async move { Ok(next) }
        })
        .await;
        (result, asked)
    }

    #[tokio::test]
    async fn short_pages_continue_while_the_cursor_says_so() {
        let (r, asked) = run(
            vec![
                page(&[1, 2], Some("a")),
                page(&[3], Some("b")),
                page(&[4], Some("")),
            ],
            10,
        )
        .await;
        assert_eq!(r.unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(asked, vec![None, Some("a".into()), Some("b".into())]);
    }

    #[tokio::test]
    async fn a_cursor_on_the_last_page_ends_at_the_empty_page() {
        let (r, asked) = run(vec![page(&[1], Some("a")), page(&[], Some("b"))], 10).await;
        assert_eq!(r.unwrap(), vec![1]);
        assert_eq!(asked.len(), 2);
    }

    #[tokio::test]
    async fn a_repeated_cursor_is_an_error() {
        let (r, _) = run(vec![page(&[1], Some("a")), page(&[2], Some("a"))], 10).await;
        let err = r.unwrap_err();
        assert!(
            matches!(err, Error::Pagination(PaginationError::RepeatedCursor { ref cursor, page: 2 }) if cursor == "a"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn too_many_pages_is_an_error() {
        let pages = (0..5).map(|i| page(&[i], Some(&format!("c{i}")))).collect();
        let (r, asked) = run(pages, 3).await;
        assert!(matches!(
            r.unwrap_err(),
            Error::Pagination(PaginationError::TooManyPages { max_pages: 3 })
        ));
        assert_eq!(asked.len(), 3);
    }

    #[tokio::test]
    async fn another_category_is_an_error() {
        let mut p = page(&[1], None);
        p.category = Some("spot".into());
        let (r, _) = run(vec![p], 3).await;
        assert!(matches!(
            r.unwrap_err(),
            Error::Pagination(PaginationError::CategoryMismatch { .. })
        ));
    }
}
