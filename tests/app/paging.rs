//! Cursor pagination: lists are read a page at a time from a cursor over (sort key, id), the
//! same way for the public news and the staff's audit log.

use crate::support::{Page, spawn_app};

/// The details of the entries on an audit page, and its links to newer and older entries.
async fn audit_page(
    staff: &crate::support::Visitor,
    path: &str,
) -> (Vec<String>, Option<String>, Option<String>) {
    let page = Page::of(staff.get(path).await).await;
    assert_eq!(page.status, 200, "{path}");
    (
        page.texts("tbody td:nth-child(6)"),
        page.attr("a[rel=prev]", "href"),
        page.attr("a[rel=next]", "href"),
    )
}

#[tokio::test]
async fn the_audit_log_pages_forward_and_back_over_entries_that_share_a_time() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    // 250 entries, seven to a second: entries with the same time straddle each page's edge,
    // so only the id tells them apart.
    for i in 0..250_i64 {
        sqlx::query("INSERT INTO audit_log (at, action, detail) VALUES ($1, 'test', $2)")
            .bind(1_700_000_000 + i / 7)
            .bind(format!("entry {i}"))
            .execute(&app.state.pool)
            .await
            .unwrap();
    }
    let expected: Vec<String> = (0..250).rev().map(|i| format!("entry {i}")).collect();

    let (first, newer, older) = audit_page(&staff, "/staff/audit").await;
    assert_eq!(first, expected[..100]);
    assert_eq!(newer, None, "the first page has no newer entries");
    let (second, newer, older) = audit_page(&staff, &older.unwrap()).await;
    assert_eq!(second, expected[100..200]);
    let back_to_first = newer.unwrap();
    let (third, newer, last_older) = audit_page(&staff, &older.unwrap()).await;
    assert_eq!(third, expected[200..]);
    assert_eq!(last_older, None, "the last page has no older entries");

    // Back from the last page: the second page again, then the first, which has no newer.
    let (back, back_newer, back_older) = audit_page(&staff, &newer.unwrap()).await;
    assert_eq!(back, second);
    assert!(back_older.is_some());
    let (start, start_newer, _) = audit_page(&staff, &back_newer.unwrap()).await;
    assert_eq!(start, first);
    assert_eq!(start_newer, None);
    let (again, _, _) = audit_page(&staff, &back_to_first).await;
    assert_eq!(again, first);

    // A cursor that cannot be read, or one past the end, is a page that does not exist.
    assert_eq!(staff.get("/staff/audit?after=garbage").await.status(), 404);
    assert_eq!(staff.get("/staff/audit?after=1-0").await.status(), 404);
}
