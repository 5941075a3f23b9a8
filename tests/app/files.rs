//! The file store, through the cover pictures of news: type from the bytes, length, ETag and
//! 304, byte ranges, the original name, nosniff; access only once the post is out to the
//! reader; size limits; sweeping what failed forms leave; chunks; two instances.

use reqwest::{
    StatusCode,
    header::{
        CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
        IF_NONE_MATCH, RANGE,
    },
    multipart::{Form, Part},
};

use crate::{
    news::editor,
    support::{Page, TestApp, Visitor, spawn_app},
};

/// A drawn PNG; different seeds give different pictures (and different stored images).
fn png(seed: u32) -> Vec<u8> {
    portal::demo::cover_png([10, 60, 120], [200, 220, 240], seed)
}

/// A PNG of noise, which does not compress: `side` × `side` pixels, about 3 × side² bytes.
fn noise_png(side: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        let mut px = [0u8; 3];
        for b in &mut px {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *b = state as u8;
        }
        image::Rgb(px)
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// Saves a post through the editor with a cover; returns the editor page it lands on.
async fn post_with_cover(
    staff: &Visitor,
    title: &str,
    extra: &[(&str, &str)],
    cover: (&str, Vec<u8>),
) -> Page {
    let mut fields = vec![
        ("title", title),
        ("body", "Words."),
        ("cover_alt", "A skyline"),
    ];
    fields.extend_from_slice(extra);
    let page = editor(staff, "/staff/news", &fields, Some(cover)).await;
    assert_eq!(page.status, 200, "{:?}", page.texts(".error-summary li"));
    assert!(page.has(".flash"), "{:?}", page.texts(".error-summary li"));
    page
}

/// The address of the cover the editor shows, and of the picture as uploaded.
fn editor_cover(page: &Page) -> (String, String) {
    (
        page.attr(".editor-cover", "src")
            .expect("the editor shows the cover"),
        page.attr("a.editor-original", "href")
            .expect("the editor links the picture as uploaded"),
    )
}

#[tokio::test]
async fn a_cover_is_served_with_the_type_of_its_bytes_its_length_etag_ranges_name_and_nosniff() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let bytes = png(1);
    // A PNG whose name says JPEG, with a name that is not ASCII.
    let page = post_with_cover(
        &staff,
        "Harbor Day",
        &[("action", "publish")],
        ("Hafen Köln.jpg", bytes.clone()),
    )
    .await;
    let (resized, original) = editor_cover(&page);

    let got = staff.get(&original).await;
    assert_eq!(got.status(), StatusCode::OK);
    let h = got.headers().clone();
    assert_eq!(
        h[CONTENT_TYPE], "image/png",
        "the type comes from the bytes"
    );
    assert_eq!(h[CONTENT_LENGTH], bytes.len().to_string().as_str());
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(
        h[CONTENT_DISPOSITION],
        "inline; filename=\"Hafen K_ln.jpg\"; filename*=UTF-8''Hafen%20K%C3%B6ln.jpg"
    );
    assert_eq!(
        h[CACHE_CONTROL], "private, no-store",
        "the original is for publishers"
    );
    let etag = h[ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() > 20, "{etag}");
    assert_eq!(got.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let again = staff
        .client
        .get(staff.url(&original))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());

    let part = staff
        .client
        .get(staff.url(&original))
        .header(RANGE, "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()[CONTENT_RANGE],
        format!("bytes 0-9/{}", bytes.len()).as_str()
    );
    assert_eq!(part.headers()[CONTENT_LENGTH], "10");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[..10]);

    let beyond = staff
        .client
        .get(staff.url(&original))
        .header(RANGE, format!("bytes={}-", bytes.len() + 5))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond.headers()[CONTENT_RANGE],
        format!("bytes */{}", bytes.len()).as_str()
    );

    // The public reads the resized copy of a published post, cacheable by anyone; the upload
    // as sent (which may carry the camera's metadata) stays with the publishers.
    let public = app.visitor();
    let shown = public.get(&resized).await;
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.headers()[CONTENT_TYPE], "image/jpeg");
    assert_eq!(
        shown.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        shown.headers()[CONTENT_DISPOSITION],
        "inline; filename=\"Hafen K_ln-480.jpg\"; filename*=UTF-8''Hafen%20K%C3%B6ln-480.jpg"
    );
    assert_eq!(public.get(&original).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        public
            .get("/news/covers/0123456789abcdef-480.jpg")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn covers_of_drafts_scheduled_and_members_only_posts_are_not_reachable_before_the_post_is_out_to_the_reader()
 {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let draft = post_with_cover(&staff, "Draft", &[("action", "draft")], ("a.png", png(2))).await;
    let in_two_days = time::OffsetDateTime::from_unix_timestamp(app.state.clock.now() + 2 * 86_400)
        .unwrap()
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]"
        ))
        .unwrap();
    let scheduled = post_with_cover(
        &staff,
        "Scheduled",
        &[("action", "schedule"), ("publish_at", &in_two_days)],
        ("b.png", png(3)),
    )
    .await;
    let members = post_with_cover(
        &staff,
        "Members Notes",
        &[
            ("action", "publish"),
            ("members_only", "1"),
            ("excerpt", "For members."),
        ],
        ("c.png", png(4)),
    )
    .await;
    let (draft_cover, _) = editor_cover(&draft);
    let (scheduled_cover, _) = editor_cover(&scheduled);
    let (members_cover, _) = editor_cover(&members);

    let city = app.insert_city("Lafayette", "CO", "active").await;
    let mayor = app
        .invite_and_accept(
            &staff,
            "jamie@lafayetteco.gov",
            "Jamie Harkins",
            "mayor",
            city,
        )
        .await;
    let public = app.visitor();
    for cover in [&draft_cover, &scheduled_cover, &members_cover] {
        assert_eq!(staff.get(cover).await.status(), StatusCode::OK, "{cover}");
        assert_eq!(
            public.get(cover).await.status(),
            StatusCode::NOT_FOUND,
            "{cover}"
        );
    }
    assert_eq!(
        mayor.get(&draft_cover).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        mayor.get(&scheduled_cover).await.status(),
        StatusCode::NOT_FOUND
    );
    let for_member = mayor.get(&members_cover).await;
    assert_eq!(for_member.status(), StatusCode::OK);
    assert_eq!(
        for_member.headers()[CACHE_CONTROL],
        "private, no-store",
        "a members-only picture is kept by no cache"
    );

    // Pages show the picture only where its address serves it.
    let article = Page::of(public.get("/news/members-notes").await).await;
    assert!(!article.has(".article-image"));
    assert!(
        article
            .attr("meta[property='og:image']", "content")
            .is_none()
    );
    let list = Page::of(public.get("/news").await).await;
    assert_eq!(list.texts(".card-title"), vec!["Members Notes".to_owned()]);
    assert!(!list.has("img.card-image"));
    let home = Page::of(public.get("/").await).await;
    assert!(!home.has("main img"));
    let article = Page::of(mayor.get("/news/members-notes").await).await;
    assert_eq!(
        article.attr(".article-image", "src"),
        Some(members_cover.replace("-480", "-960"))
    );
    assert!(
        Page::of(mayor.get("/news").await)
            .await
            .has("img.card-image")
    );

    // Its time come, the scheduled post's picture is everyone's.
    app.state.clock.advance(3 * 86_400);
    assert_eq!(public.get(&scheduled_cover).await.status(), StatusCode::OK);
    assert_eq!(
        public.get(&draft_cover).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_upload_over_the_limit_or_of_another_type_is_refused_with_a_clear_message_and_nothing_is_stored()
 {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    // A PNG signature, then more than 10 MB: refused by its size as it streams in.
    let mut big = png(5);
    big.resize(10 * 1024 * 1024 + 1, 0);
    let form = Form::new()
        .text("title", "Big Picture")
        .text("body", "b")
        .text("action", "publish")
        .part("cover", Part::bytes(big).file_name("big.png"))
        // A field after the file still comes through.
        .text("cover_alt", "A very large skyline");
    let page = Page::of(
        staff
            .client
            .post(staff.url("/staff/news"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.text("#cover-error"),
        "Error: The file is larger than 10 MB. Save a smaller version and try again."
    );
    assert_eq!(page.attr("#title", "value").as_deref(), Some("Big Picture"));
    assert_eq!(
        page.attr("#cover_alt", "value").as_deref(),
        Some("A very large skyline")
    );

    let text = editor(
        &staff,
        "/staff/news",
        &[("title", "Notes"), ("body", "b"), ("action", "publish")],
        Some(("notes.png", b"%PDF-1.4 not a picture".to_vec())),
    )
    .await;
    assert_eq!(text.status, 422);
    assert_eq!(
        text.text("#cover-error"),
        "Error: The file is not a JPEG, PNG or WebP image."
    );
    for table in ["files", "file_chunks", "images", "posts"] {
        assert_eq!(count(&app, table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn what_a_failed_form_uploaded_is_swept_after_an_hour_and_covers_in_use_stay() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let kept = post_with_cover(&staff, "Kept", &[("action", "publish")], ("k.png", png(6))).await;
    let (kept_cover, _) = editor_cover(&kept);
    let files_in_use = count(&app, "files").await;

    // No description: the form comes back, holding the uploaded picture for the next try.
    let failed = editor(
        &staff,
        "/staff/news",
        &[("title", "Left"), ("body", "b"), ("action", "publish")],
        Some(("left.png", png(7))),
    )
    .await;
    assert_eq!(failed.status, 422);
    let held = failed.attr("input[name=cover_image_id]", "value").unwrap();
    assert!(count(&app, "files").await > files_in_use);
    assert_eq!(count(&app, "images").await, 2);
    // An upload cut off half-way leaves a file nobody claims.
    let stray = portal::files::store_bytes(
        &app.state.pool,
        app.state.clock.now(),
        &portal::news::images::UPLOAD,
        "stray.png",
        &png(8),
    )
    .await
    .unwrap();

    portal::housekeep(&app.state).await;
    assert_eq!(
        count(&app, "images").await,
        2,
        "nothing goes within the hour"
    );
    app.state.clock.advance(3601);
    portal::housekeep(&app.state).await;
    assert_eq!(count(&app, "images").await, 1);
    assert_eq!(count(&app, "files").await, files_in_use);
    let stray_left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM file_chunks WHERE file_id = $1")
        .bind(stray.id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stray_left, 0);
    assert_eq!(
        app.visitor().get(&kept_cover).await.status(),
        StatusCode::OK
    );

    // The form tried again after the sweep says the picture is gone, rather than failing.
    let again = editor(
        &staff,
        "/staff/news",
        &[
            ("title", "Left"),
            ("body", "b"),
            ("cover_alt", "A skyline"),
            ("cover_image_id", &held),
            ("action", "publish"),
        ],
        None,
    )
    .await;
    assert_eq!(again.status, 422);
    assert_eq!(
        again.text("#cover-error"),
        "Error: The picture uploaded earlier is no longer kept. Attach it again."
    );
}

#[tokio::test]
async fn a_malformed_range_is_ignored_and_the_whole_file_sent_while_an_unsatisfiable_one_gets_416()
{
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let bytes = png(7);
    let page = post_with_cover(
        &staff,
        "Ranges",
        &[("action", "draft")],
        ("ranges.png", bytes.clone()),
    )
    .await;
    let (_, original) = editor_cover(&page);
    // RFC 9110, 14.2: a Range the server does not understand is ignored.
    for garbled in [
        "bytes=ten-twenty",
        "bytes=",
        "bytes=-",
        "bytes=5",
        "bytes=+1-2",
        "bytes=1-2-3",
        // Syntax, but a last byte before the first is an invalid range (14.1.1).
        "bytes=9-0",
        "bytes 0-9",
        "0-9",
    ] {
        let got = staff
            .client
            .get(staff.url(&original))
            .header(RANGE, garbled)
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), StatusCode::OK, "{garbled}");
        assert!(!got.headers().contains_key(CONTENT_RANGE), "{garbled}");
        assert_eq!(
            got.headers()[CONTENT_LENGTH],
            bytes.len().to_string().as_str()
        );
        assert_eq!(got.bytes().await.unwrap().as_ref(), bytes.as_slice());
    }
    // Well formed but outside the file, or an empty suffix: nothing to send.
    for unsatisfiable in [
        format!("bytes={}-", bytes.len()),
        format!("bytes={}-{}", bytes.len() + 5, bytes.len() + 9),
        "bytes=-0".to_owned(),
    ] {
        let got = staff
            .client
            .get(staff.url(&original))
            .header(RANGE, &unsatisfiable)
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.status(),
            StatusCode::RANGE_NOT_SATISFIABLE,
            "{unsatisfiable}"
        );
        assert_eq!(
            got.headers()[CONTENT_RANGE],
            format!("bytes */{}", bytes.len()).as_str()
        );
    }
}

#[tokio::test]
async fn a_file_of_several_chunks_comes_back_byte_for_byte_whole_and_in_ranges() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let bytes = noise_png(500);
    let chunk = portal::files::CHUNK_SIZE;
    assert!(bytes.len() > 2 * chunk, "{} bytes", bytes.len());
    let page = post_with_cover(
        &staff,
        "Noise",
        &[("action", "draft")],
        ("noise.png", bytes.clone()),
    )
    .await;
    let (_, original) = editor_cover(&page);
    let chunks: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM file_chunks c JOIN files f ON f.id = c.file_id WHERE f.name = 'noise.png'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(chunks as usize, bytes.len().div_ceil(chunk));

    let whole = staff.get(&original).await;
    assert_eq!(
        whole.headers()[CONTENT_LENGTH],
        bytes.len().to_string().as_str()
    );
    assert!(whole.bytes().await.unwrap().as_ref() == bytes.as_slice());
    // Across the border of two chunks, and the last bytes.
    let (a, b) = (chunk - 5, chunk + 4);
    let across = staff
        .client
        .get(staff.url(&original))
        .header(RANGE, format!("bytes={a}-{b}"))
        .send()
        .await
        .unwrap();
    assert_eq!(across.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(across.bytes().await.unwrap().as_ref(), &bytes[a..=b]);
    let tail = staff
        .client
        .get(staff.url(&original))
        .header(RANGE, "bytes=-7")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tail.bytes().await.unwrap().as_ref(),
        &bytes[bytes.len() - 7..]
    );
}

#[tokio::test]
async fn two_instances_on_one_database_serve_the_same_cover() {
    let app = spawn_app().await;
    let other = app.second_instance().await;
    let staff = app.staff_visitor().await;
    post_with_cover(
        &staff,
        "Shared",
        &[("action", "publish")],
        ("s.png", png(9)),
    )
    .await;
    let article = Page::of(other.visitor().get("/news/shared").await).await;
    let src = article.attr(".article-image", "src").unwrap();
    let from_first = app.visitor().get(&src).await;
    let from_second = other.visitor().get(&src).await;
    assert_eq!(from_second.status(), StatusCode::OK);
    assert_eq!(from_first.headers()[ETAG], from_second.headers()[ETAG]);
    let first = from_first.bytes().await.unwrap();
    assert!(!first.is_empty());
    assert!(first == from_second.bytes().await.unwrap());
    // The second instance has no folder of pictures: the bytes came from the database.
    assert!(!other.state.config.data_dir.join("images").exists());
}

#[tokio::test]
async fn covers_left_in_the_images_folder_by_earlier_versions_move_into_the_store() {
    let app = spawn_app().await;
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(48, 32, image::Rgb([200, 90, 20]))
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let jpeg = jpeg.into_inner();
    let dir = app.state.config.data_dir.join("images");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("00aa11bb22cc33dd-48.jpg"), &jpeg).unwrap();
    let image_id: i64 = sqlx::query_scalar(
        "INSERT INTO images (hash, width, height, widths, created_at) VALUES ('00aa11bb22cc33dd', 48, 32, '48', 0) RETURNING id",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO posts (slug, title, status, publish_at, cover_image_id, cover_alt, created_at, updated_at) \
         VALUES ('old', 'Old', 'published', 0, $1, 'An orange field', 0, 0)",
    )
    .bind(image_id)
    .execute(&app.state.pool)
    .await
    .unwrap();
    let src = "/news/covers/00aa11bb22cc33dd-48.jpg";
    assert_eq!(app.visitor().get(src).await.status(), StatusCode::NOT_FOUND);

    assert_eq!(
        portal::news::images::import_legacy(&app.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        portal::news::images::import_legacy(&app.state)
            .await
            .unwrap(),
        0,
        "once"
    );
    let article = Page::of(app.visitor().get("/news/old").await).await;
    assert_eq!(article.attr(".article-image", "src").as_deref(), Some(src));
    let got = app.visitor().get(src).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert!(got.bytes().await.unwrap().as_ref() == jpeg.as_slice());
}

#[tokio::test]
async fn the_same_picture_sent_with_twenty_posts_at_once_is_stored_once() {
    let app = spawn_app().await;
    let staff = app.staff_visitor().await;
    let picture = png(10);
    let saves = (0..20).map(|i| {
        let staff = &staff;
        let picture = picture.clone();
        async move {
            let title = format!("Same Picture {i}");
            let page = editor(
                staff,
                "/staff/news",
                &[
                    ("title", &title),
                    ("body", "b"),
                    ("cover_alt", "A skyline"),
                    ("action", "publish"),
                ],
                Some(("same.png", picture)),
            )
            .await;
            assert_eq!(page.status, 200, "{:?}", page.texts(".error-summary li"));
        }
    });
    futures_util::future::join_all(saves).await;
    assert_eq!(count(&app, "posts").await, 20);
    assert_eq!(count(&app, "images").await, 1);
    // The upload as sent and three widths, once; the other copies went at once.
    assert_eq!(count(&app, "image_files").await, 4);
    assert_eq!(count(&app, "files").await, 4);
    let covers: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT cover_image_id) FROM posts")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(covers, 1);
}
