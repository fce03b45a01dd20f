//! Pagination as a pure state machine, kept out of the SDK's paginators so
//! that every page is one visible, counted call and the loop guards
//! (missing marker, repeated marker, page limit) are tested without a network.
//!
//! IAM pages with `IsTruncated` + `Marker`; Organizations with `NextToken`
//! alone (present ⇔ more pages). Both feed [`Pages::advance`].

/// Why a pagination loop was stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// The service said there are more pages but gave no marker.
    #[error("page {page}: the response is truncated but carries no marker")]
    MissingMarker { page: u32 },
    /// The service handed back the marker it was just given: it would loop.
    #[error("page {page}: the service returned the same marker again ({marker:?})")]
    RepeatedMarker { page: u32, marker: String },
    /// More pages than `max_pages`: a runaway loop, not a real account.
    #[error("more than {max_pages} pages; giving up")]
    TooManyPages { max_pages: u32 },
}

/// Where a paginated listing stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pages {
    marker: Option<String>,
    done: bool,
    pages: u32,
    max_pages: u32,
}

impl Pages {
    /// A listing that has fetched nothing yet and allows `max_pages` pages.
    pub fn new(max_pages: u32) -> Pages {
        Pages {
            marker: None,
            done: false,
            pages: 0,
            max_pages: max_pages.max(1),
        }
    }

    /// The marker to send with the next request: `None` when the listing is
    /// complete, `Some(None)` for the first page, `Some(Some(m))` after.
    pub fn next_request(&self) -> Option<Option<&str>> {
        if self.done {
            None
        } else {
            Some(self.marker.as_deref())
        }
    }

    /// Records a page's answer: `more` is IAM's `IsTruncated` (for
    /// Organizations, `next_token.is_some()`), `marker` the token to continue.
    pub fn advance(&mut self, more: bool, marker: Option<String>) -> Result<(), PageError> {
        self.pages += 1;
        if !more {
            self.done = true;
            self.marker = None;
            return Ok(());
        }
        let Some(marker) = marker.filter(|m| !m.is_empty()) else {
            self.done = true;
            return Err(PageError::MissingMarker { page: self.pages });
        };
        if self.marker.as_deref() == Some(marker.as_str()) {
            self.done = true;
            return Err(PageError::RepeatedMarker {
                page: self.pages,
                marker,
            });
        }
        if self.pages >= self.max_pages {
            self.done = true;
            return Err(PageError::TooManyPages {
                max_pages: self.max_pages,
            });
        }
        self.marker = Some(marker);
        Ok(())
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Whether the listing is complete (or was stopped by an error).
    pub fn is_done(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_page_listing() {
        let mut p = Pages::new(10);
        assert_eq!(p.next_request(), Some(None));
        p.advance(false, None).unwrap();
        assert_eq!(p.next_request(), None);
        assert_eq!(p.pages(), 1);
    }

    #[test]
    fn follows_markers_until_not_truncated() {
        let mut p = Pages::new(10);
        p.advance(true, Some("m1".into())).unwrap();
        assert_eq!(p.next_request(), Some(Some("m1")));
        p.advance(true, Some("m2".into())).unwrap();
        assert_eq!(p.next_request(), Some(Some("m2")));
        // A last page may still carry a marker; IsTruncated=false wins.
        p.advance(false, Some("ignored".into())).unwrap();
        assert!(p.is_done());
        assert_eq!(p.pages(), 3);
    }

    #[test]
    fn organizations_style_next_token() {
        let mut p = Pages::new(10);
        let token = Some("t".to_string());
        p.advance(token.is_some(), token).unwrap();
        p.advance(false, None).unwrap();
        assert!(p.is_done());
    }

    #[test]
    fn truncated_without_marker_is_an_error() {
        let mut p = Pages::new(10);
        assert_eq!(
            p.advance(true, None),
            Err(PageError::MissingMarker { page: 1 })
        );
        assert_eq!(p.next_request(), None);
        let mut p = Pages::new(10);
        assert!(p.advance(true, Some(String::new())).is_err());
    }

    #[test]
    fn repeated_marker_is_an_error() {
        let mut p = Pages::new(10);
        p.advance(true, Some("m".into())).unwrap();
        assert!(matches!(
            p.advance(true, Some("m".into())),
            Err(PageError::RepeatedMarker { page: 2, .. })
        ));
        assert!(p.is_done());
    }

    #[test]
    fn page_limit_stops_a_runaway_listing() {
        let mut p = Pages::new(3);
        p.advance(true, Some("a".into())).unwrap();
        p.advance(true, Some("b".into())).unwrap();
        assert_eq!(
            p.advance(true, Some("c".into())),
            Err(PageError::TooManyPages { max_pages: 3 })
        );
        // The last allowed page may still end the listing normally.
        let mut p = Pages::new(2);
        p.advance(true, Some("a".into())).unwrap();
        p.advance(false, None).unwrap();
        assert!(p.is_done());
    }
}
