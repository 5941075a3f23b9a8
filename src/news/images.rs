//! Cover images, the portal's one picture kit (news posts and publications): the type is
//! read from the bytes, not the name; the size is bounded before decoding; each image is kept
//! in the file store as uploaded and resized to the widths the pages use, as JPEG, and served
//! only to readers who may see a post or read a publication it covers.
//!
//! Decoding is the costly part (a 40-megapixel PNG of 128 KB took 3.4 s and 280 MB), so it is
//! bounded three ways: at most [`MAX_PIXELS`], one image at a time for the whole process
//! (`AppState::decoding`), and the memory handed back to the system afterwards.

use std::io::Cursor;

use axum::{extract::Path, http::HeaderMap, response::Response};
use image::{DynamicImage, ImageFormat, ImageReader, Limits, codecs::jpeg::JpegEncoder};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use crate::{
    error::{AppError, AppResult},
    files::{self, FileError, StoredFile},
    policy,
    state::AppState,
    web::Ctx,
};

/// The widths the pages ask for (cards, articles, large screens).
pub const WIDTHS: [u32; 3] = [480, 960, 1600];
/// More pixels than this is refused before decoding (a 6,000 × 4,000 camera picture fits).
pub const MAX_PIXELS: u64 = 24_000_000;
/// The most a decoder may allocate: the largest image at 8 bytes a pixel (16-bit RGBA).
const MAX_DECODE_BYTES: u64 = MAX_PIXELS * 8;
/// Largest upload, in bytes.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ImageError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is larger than 10 MB. Save a smaller version and try again.")]
    TooLarge,
    #[error("The file is not a JPEG, PNG or WebP image.")]
    NotAnImage,
    #[error("The image is too large ({0} × {1} pixels). Use one under 24 megapixels.")]
    TooManyPixels(u32, u32),
    #[error("The image could not be read; it may be damaged.")]
    Damaged,
    #[error("The upload was interrupted. Try again.")]
    Interrupted,
    #[error("The picture uploaded earlier is no longer kept. Attach it again.")]
    Gone,
    #[error(
        "Programs and scripts are not accepted, whatever their name. Attach a JPEG, PNG or WebP image."
    )]
    Program,
}

/// What the store accepts as a cover upload: the types are checked again by decoding.
pub const UPLOAD: files::Rules = files::Rules {
    max_bytes: MAX_BYTES as u64,
    types: &["image/jpeg", "image/png", "image/webp"],
};

/// The resized copies, as JPEG: plain JPEG files, so that their type is sure.
const RESIZED: files::Rules = files::Rules {
    max_bytes: 64 * 1024 * 1024,
    types: &["image/jpeg"],
};

impl ImageError {
    fn from_file(e: FileError) -> AppResult<ImageError> {
        match e {
            FileError::Empty => Ok(ImageError::Empty),
            FileError::TooLarge(_) => Ok(ImageError::TooLarge),
            FileError::TypeNotAllowed(_) => Ok(ImageError::NotAnImage),
            FileError::Program => Ok(ImageError::Program),
            FileError::Interrupted(_) => Ok(ImageError::Interrupted),
            FileError::Database(e) => Err(e.into()),
        }
    }
}

/// A checked image: its content hash, size, and the JPEG of each width.
#[derive(Debug, Clone)]
pub struct Stored {
    pub hash: String,
    pub width: u32,
    pub height: u32,
    pub widths: Vec<u32>,
    /// The JPEG bytes of each of `widths`, in the same order.
    pub jpegs: Vec<Vec<u8>>,
}

/// Checks, decodes and resizes an upload. CPU-heavy: call from `spawn_blocking`.
pub fn process(bytes: &[u8]) -> Result<Stored, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(ImageError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| ImageError::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(ImageError::NotAnImage);
    }
    let reader = || {
        let mut r = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_alloc = Some(MAX_DECODE_BYTES);
        r.limits(limits);
        r
    };
    let (w, h) = reader()
        .into_dimensions()
        .map_err(|_| ImageError::NotAnImage)?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels(w, h));
    }
    // Straight to 8-bit RGB (JPEG has no alpha): the decoder's larger buffer is freed at once.
    let rgb = reader()
        .decode()
        .map_err(|_| ImageError::Damaged)?
        .into_rgb8();
    // A fast box filter first brings a very large picture down to twice the largest width;
    // the fine filter then works on at most a quarter of the pixels.
    let largest = WIDTHS[WIDTHS.len() - 1];
    let decoded = DynamicImage::ImageRgb8(if w > 2 * largest {
        let width = 2 * largest;
        let height = ((u64::from(h) * u64::from(width)) / u64::from(w)).max(1) as u32;
        image::imageops::thumbnail(&rgb, width, height)
    } else {
        rgb
    });
    let hash = hex::encode(Sha256::digest(bytes))[..16].to_owned();
    let mut widths = Vec::new();
    let mut jpegs = Vec::new();
    for target in WIDTHS {
        // Never enlarge: the largest stored width is the original's when it is smaller.
        let width = target.min(w);
        if widths.contains(&width) {
            continue;
        }
        let resized;
        let source = if width == decoded.width() {
            &decoded
        } else {
            resized = decoded.resize(width, u32::MAX, image::imageops::FilterType::Lanczos3);
            &resized
        };
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 82)
            .encode_image(source)
            .map_err(|_| ImageError::Damaged)?;
        jpegs.push(out);
        widths.push(width);
    }
    Ok(Stored {
        hash,
        width: w,
        height: h,
        widths,
        jpegs,
    })
}

/// Returns freed memory to the system. glibc keeps what a thread freed in that thread's arena
/// for reuse, so a few decodes on the blocking threads would otherwise stay in the process's
/// resident size for good.
fn give_memory_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory at the top of glibc's heaps and arenas;
    // it touches no allocation in use and has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A cover upload as the store took it (see `files::read_multipart`), or why it is no
/// picture. The file is unclaimed until [`create`] makes an image of it.
pub fn checked_upload(
    stored: Result<StoredFile, FileError>,
) -> AppResult<Result<StoredFile, ImageError>> {
    match stored {
        Ok(file) => Ok(Ok(file)),
        Err(e) => ImageError::from_file(e).map(Err),
    }
}

/// Makes a cover image of an uploaded file: checks and resizes it, stores the sizes, and
/// returns the image's id (the same bytes give the same image). The image is used by no
/// post yet: one that stays so for an hour is swept with its files.
pub async fn create(state: &AppState, original: StoredFile) -> AppResult<Result<i64, ImageError>> {
    let result = create_inner(state, &original).await;
    if !matches!(result, Ok(Ok(_))) {
        let mut conn = state.pool.acquire().await?;
        files::delete(&mut conn, original.id).await?;
    }
    result
}

async fn create_inner(
    state: &AppState,
    original: &StoredFile,
) -> AppResult<Result<i64, ImageError>> {
    let now = state.clock.now();
    let hash = original.sha256.get(..16).unwrap_or_default().to_owned();
    // The same picture again: the image there is, kept from the sweep for another hour
    // (one statement, so that the sweep either sees the new time or has deleted it).
    let known: Option<i64> = sqlx::query_scalar(
        "UPDATE images SET created_at = $1 WHERE hash = $2 \
         AND EXISTS (SELECT 1 FROM image_files x WHERE x.image_id = images.id) RETURNING id",
    )
    .bind(now)
    .bind(&hash)
    .fetch_optional(&state.pool)
    .await?;
    if let Some(id) = known {
        let mut conn = state.pool.acquire().await?;
        files::delete(&mut conn, original.id).await?;
        return Ok(Ok(id));
    }
    let stored = match decode(state, original).await? {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let mut sizes = match store_sizes(state, now, original, &stored).await? {
        Ok(sizes) => sizes,
        Err(e) => return Ok(Err(e)),
    };
    sizes.push((0, original.id));
    record_image(state, now, &stored, sizes).await
}

/// Checks and resizes an upload: one image decoded at a time in the whole process, its
/// memory given back afterwards.
async fn decode(state: &AppState, original: &StoredFile) -> AppResult<Result<Stored, ImageError>> {
    let bytes = files::read_all(&state.pool, original.id).await?;
    let permit = state.decoding.acquire().await.map_err(AppError::internal)?;
    let stored = tokio::task::spawn_blocking(move || {
        let stored = process(&bytes);
        drop(bytes);
        give_memory_back();
        stored
    })
    .await
    .map_err(AppError::internal)?;
    drop(permit);
    Ok(stored)
}

/// Stores the resized copies; on failure, none of them stays.
async fn store_sizes(
    state: &AppState,
    now: i64,
    original: &StoredFile,
    stored: &Stored,
) -> AppResult<Result<Vec<(i64, i64)>, ImageError>> {
    let stem = original
        .name
        .rsplit_once('.')
        .map_or(original.name.as_str(), |(stem, _)| stem);
    let mut sizes = Vec::new();
    for (width, jpeg) in stored.widths.iter().zip(&stored.jpegs) {
        let name = format!("{stem}-{width}.jpg");
        match files::store_bytes(&state.pool, now, &RESIZED, &name, jpeg).await {
            Ok(file) => sizes.push((i64::from(*width), file.id)),
            Err(e) => {
                let mut conn = state.pool.acquire().await?;
                for (_, id) in &sizes {
                    files::delete(&mut conn, *id).await?;
                }
                return ImageError::from_file(e).map(Err);
            }
        }
    }
    Ok(Ok(sizes))
}

/// The image's row and its files (width 0: the original), in one write transaction.
async fn record_image(
    state: &AppState,
    now: i64,
    stored: &Stored,
    sizes: Vec<(i64, i64)>,
) -> AppResult<Result<i64, ImageError>> {
    let widths = stored
        .widths
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut tx = state.begin_write().await?;
    // An image row left from before the store (its files were on disk) gets its files now.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO images (hash, width, height, widths, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (hash) DO UPDATE SET widths = excluded.widths, created_at = excluded.created_at RETURNING id",
    )
    .bind(&stored.hash)
    .bind(i64::from(stored.width))
    .bind(i64::from(stored.height))
    .bind(widths)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (width, file_id) in sizes {
        let added = sqlx::query(
            "INSERT INTO image_files (image_id, width, file_id) VALUES ($1, $2, $3) ON CONFLICT (image_id, width) DO NOTHING",
        )
        .bind(id)
        .bind(width)
        .bind(file_id)
        .execute(&mut *tx)
        .await?;
        if added.rows_affected() == 1 {
            if !files::attach(&mut tx, file_id).await? {
                return Ok(Err(ImageError::Interrupted));
            }
        } else {
            // The same picture, uploaded at the same moment by someone else: theirs stays.
            files::delete(&mut tx, file_id).await?;
        }
    }
    tx.commit().await?;
    Ok(Ok(id))
}

/// Stores a picture held in memory (the demo's drawn covers) as a cover image.
pub async fn save(
    state: &AppState,
    name: &str,
    bytes: &[u8],
) -> AppResult<Result<i64, ImageError>> {
    match files::store_bytes(&state.pool, state.clock.now(), &UPLOAD, name, bytes).await {
        Ok(file) => create(state, file).await,
        Err(e) => ImageError::from_file(e).map(Err),
    }
}

/// The form field of a picture's description: every form with a cover has it.
pub const ALT_FIELD: crate::web::form::Field = crate::web::form::Field {
    name: "cover_alt",
    label: "the picture's description",
    max_len: 300,
    required: false,
    lines: false,
};

/// Takes a form's picture into its fields: `held` (the hidden field of a picture sent with
/// an earlier try of the form) and `remove` (the box to remove the one it has), with the
/// upload `sent` and the edited item's own picture `own`; why not, under `cover`. Every form
/// with a cover picture (news posts, publications) takes it here.
///
/// The hidden field is the sender's to change, so a held number counts only for a picture
/// `person` uploaded, or the item's own: nobody puts another's picture (a draft's, one
/// pending in someone else's form) on theirs by its number.
pub async fn take(
    state: &AppState,
    person: i64,
    (held, remove): (&mut Option<i64>, &mut bool),
    (sent, own): (Option<Result<StoredFile, ImageError>>, Option<i64>),
    check: &mut crate::web::form::Check,
) -> AppResult<()> {
    let kept = match *held {
        Some(id) => hold(&state.pool, id, (person, own), state.clock.now()).await?,
        None => None,
    };
    if held.is_some() && kept.is_none() && sent.is_none() {
        check.add("cover", ImageError::Gone.to_string());
    }
    *held = kept;
    match sent {
        Some(Ok(file)) => match create(state, file).await? {
            Ok(id) => {
                sqlx::query("UPDATE images SET uploaded_by = $1 WHERE id = $2")
                    .bind(person)
                    .bind(id)
                    .execute(&state.pool)
                    .await?;
                *held = Some(id);
                *remove = false;
            }
            Err(e) => check.add("cover", e.to_string()),
        },
        Some(Err(e)) => check.add("cover", e.to_string()),
        None => {}
    }
    Ok(())
}

/// The held picture `id` when it is still kept and the sender's to hold (they uploaded it, or
/// it is the item's own), kept from the sweep for another hour in the same statement so that
/// the save that follows finds it.
async fn hold(
    pool: &AnyPool,
    id: i64,
    (person, own): (i64, Option<i64>),
    now: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE images SET created_at = $1 WHERE id = $2 AND (uploaded_by = $3 OR id = $4) \
         RETURNING id",
    )
    .bind(now)
    .bind(id)
    .bind(person)
    .bind(own.unwrap_or(0))
    .fetch_optional(pool)
    .await
}

/// The picture's description as typed, checked: required when there is a picture (`cover`).
pub fn described(check: &mut crate::web::form::Check, cover: Option<i64>, typed: &str) -> String {
    let alt = check.text(ALT_FIELD.name, typed);
    if cover.is_some() && alt.is_empty() && !check.has(ALT_FIELD.name) {
        check.add(
            ALT_FIELD.name,
            "Describe the picture for people who cannot see it.",
        );
    }
    alt
}

/// SQL condition: no post or publication has the image `$1`/`i.id` as its cover.
macro_rules! unused {
    ($id:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM posts p WHERE p.cover_image_id = ",
            $id,
            ") AND NOT EXISTS (SELECT 1 FROM publications u WHERE u.cover_image_id = ",
            $id,
            ")"
        )
    };
}

/// Deletes the images no post or publication uses an hour after they were uploaded (a form
/// that failed or was abandoned, a cover replaced or removed, a post deleted), giving their
/// files back to the store's sweep. Returns how many went.
pub async fn sweep(pool: &AnyPool, now: i64) -> sqlx::Result<usize> {
    let ids: Vec<i64> = sqlx::query_scalar(concat!(
        "SELECT i.id FROM images i WHERE i.created_at < $1 AND ",
        unused!("i.id")
    ))
    .bind(now - files::ORPHAN_AFTER_SECONDS)
    .fetch_all(pool)
    .await?;
    let mut swept = 0;
    for id in ids {
        let file_ids: Vec<i64> =
            sqlx::query_scalar("SELECT file_id FROM image_files WHERE image_id = $1")
                .bind(id)
                .fetch_all(pool)
                .await?;
        let mut tx = pool.begin().await?;
        // Guarded: an image a post took up, or uploaded again, since the list was read stays.
        let gone = sqlx::query(concat!(
            "DELETE FROM images WHERE id = $1 AND created_at < $2 AND ",
            unused!("$1")
        ))
        .bind(id)
        .bind(now - files::ORPHAN_AFTER_SECONDS)
        .execute(&mut *tx)
        .await?;
        if gone.rows_affected() == 1 {
            for file_id in &file_ids {
                files::release(&mut tx, *file_id).await?;
            }
            swept += 1;
        }
        tx.commit().await?;
    }
    Ok(swept)
}

/// The image `image_id` as a template shows it, with `alt`; whether its upload as sent is
/// kept too (for the editors' link to it).
pub async fn cover(
    pool: &AnyPool,
    image_id: Option<i64>,
    alt: &str,
) -> sqlx::Result<Option<Cover>> {
    let Some(id) = image_id else { return Ok(None) };
    let row: Option<(String, String, i64, i64)> =
        sqlx::query_as("SELECT hash, widths, width, height FROM images WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    let Some(mut cover) = row.and_then(|(h, w, width, height)| {
        Cover::from_row(Some(h), Some(w), Some(width), Some(height), alt)
    }) else {
        return Ok(None);
    };
    let original: Option<i64> =
        sqlx::query_scalar("SELECT file_id FROM image_files WHERE image_id = $1 AND width = 0")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    cover.has_original = original.is_some();
    Ok(Some(cover))
}

/// What a template needs to show an image.
#[derive(Debug, Clone, Default)]
pub struct Cover {
    pub hash: String,
    pub widths: Vec<u32>,
    pub width: i64,
    pub height: i64,
    pub alt: String,
    /// Whether the upload as sent is kept (pictures from before the file store are not).
    pub has_original: bool,
}

impl Cover {
    pub fn from_row(
        hash: Option<String>,
        widths: Option<String>,
        width: Option<i64>,
        height: Option<i64>,
        alt: &str,
    ) -> Option<Cover> {
        let hash = hash?;
        let widths = widths?.split(',').filter_map(|w| w.parse().ok()).collect();
        Some(Cover {
            hash,
            widths,
            width: width.unwrap_or(0),
            height: height.unwrap_or(0),
            alt: alt.to_owned(),
            has_original: false,
        })
    }
    /// The URL of the stored width closest to `want` from above.
    pub fn src(&self, want: u32) -> String {
        let w = self
            .widths
            .iter()
            .copied()
            .find(|w| *w >= want)
            .or_else(|| self.widths.last().copied())
            .unwrap_or(0);
        format!("/news/covers/{}-{w}.jpg", self.hash)
    }
    pub fn srcset(&self) -> String {
        self.widths
            .iter()
            .map(|w| format!("/news/covers/{}-{w}.jpg {w}w", self.hash))
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// Height for a given display width, keeping the ratio (for width/height attributes).
    pub fn height_for(&self, w: u32) -> i64 {
        if self.width == 0 {
            0
        } else {
            self.height * i64::from(w) / self.width
        }
    }
    /// The picture as it was uploaded (for the editor: publishers only).
    pub fn original_src(&self) -> String {
        format!("/news/covers/{}-original", self.hash)
    }
}

/// A cover picture, at `/news/covers/<hash>-<width>.jpg` (a resized copy) or
/// `/news/covers/<hash>-original` (the upload as sent, which may carry the camera's
/// metadata: publishers only). A resized copy goes to whoever may see the picture of a post
/// it covers or read a publication it covers, and to nobody before that: drafts, scheduled
/// and members-only posts, and publications for members or cohorts, keep their pictures as
/// they keep their bodies. Everyone else gets the 404 of a missing file.
pub async fn serve(ctx: Ctx, Path(name): Path<String>, headers: HeaderMap) -> AppResult<Response> {
    let (hash, width) = match name.strip_suffix(".jpg") {
        Some(rest) => {
            let (hash, width) = rest.split_once('-').ok_or(AppError::NotFound)?;
            let width: i64 = width.parse().map_err(|_| AppError::NotFound)?;
            if width <= 0 {
                return Err(AppError::NotFound);
            }
            (hash, width)
        }
        None => (name.strip_suffix("-original").ok_or(AppError::NotFound)?, 0),
    };
    if hash.len() != 16 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let pool = &ctx.state.pool;
    let image_id: i64 = sqlx::query_scalar("SELECT id FROM images WHERE hash = $1")
        .bind(hash)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = ctx.state.clock.now();
    let posts: Vec<(super::PostState, Option<i64>, i64)> = sqlx::query_as(
        "SELECT status, publish_at, members_only FROM posts WHERE cover_image_id = $1",
    )
    .bind(image_id)
    .fetch_all(pool)
    .await?;
    let viewer = ctx.person.as_ref();
    let can_see = |viewer| {
        posts.iter().any(|(status, publish_at, members_only)| {
            let out = policy::post_scope(viewer, now)
                .lists(*status == crate::news::PostState::Published, *publish_at);
            policy::can_see_post_picture(viewer, out, *members_only == 1)
        })
    };
    let publisher = viewer.is_some_and(policy::can_publish);
    let allowed = if width == 0 {
        publisher
    } else {
        publisher
            || can_see(viewer)
            || covers_readable(pool, image_id, &policy::search_scope(viewer)).await?
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    let public = width != 0
        && (can_see(None) || covers_readable(pool, image_id, &policy::search_scope(None)).await?);
    let audience = if public {
        files::Audience::Anyone
    } else {
        files::Audience::Restricted
    };
    let file_id: i64 =
        sqlx::query_scalar("SELECT file_id FROM image_files WHERE image_id = $1 AND width = $2")
            .bind(image_id)
            .bind(width)
            .fetch_optional(pool)
            .await?
            .ok_or(AppError::NotFound)?;
    let file = files::find(pool, file_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(files::serve(
        pool,
        &file,
        &headers,
        audience,
        files::Disposition::Inline,
    ))
}

/// Whether the image covers a publication the reader of `scope` may read (the publication's
/// own rule, [`policy::can_read_publication`], as SQL).
async fn covers_readable(
    pool: &AnyPool,
    image_id: i64,
    scope: &policy::SearchScope,
) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(concat!(
        "SELECT p.id FROM publications p WHERE p.cover_image_id = $5 AND ",
        crate::publication_readable!("$1", "$2", "$3", "$4"),
        " LIMIT 1"
    ))
    .bind(scope.all)
    .bind(scope.members)
    .bind(scope.cohorts)
    .bind(scope.person)
    .bind(image_id)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// Moves cover pictures written by earlier versions under `<data-dir>/images` into the file
/// store, once, at start-up: images without files in the store get the files found there.
/// Returns how many images were moved; the folder can be deleted afterwards.
pub async fn import_legacy(state: &AppState) -> AppResult<usize> {
    let dir = state.config.data_dir.join("images");
    if !dir.is_dir() {
        return Ok(0);
    }
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT i.id, i.hash, i.widths FROM images i \
         WHERE NOT EXISTS (SELECT 1 FROM image_files x WHERE x.image_id = i.id)",
    )
    .fetch_all(&state.pool)
    .await?;
    let mut moved = 0;
    for (image_id, hash, widths) in rows {
        let mut stored = Vec::new();
        for width in widths.split(',').filter_map(|w| w.parse::<i64>().ok()) {
            let name = format!("{hash}-{width}.jpg");
            let Ok(bytes) = tokio::fs::read(dir.join(&name)).await else {
                tracing::warn!(file = %dir.join(&name).display(), "a cover picture's file is missing");
                continue;
            };
            match files::store_bytes(&state.pool, state.clock.now(), &RESIZED, &name, &bytes).await
            {
                Ok(file) => stored.push((width, file.id)),
                Err(FileError::Database(e)) => return Err(e.into()),
                Err(e) => {
                    tracing::warn!(file = %name, error = %e, "a cover picture's file was not moved")
                }
            }
        }
        if stored.is_empty() {
            continue;
        }
        let mut tx = state.pool.begin().await?;
        for (width, file_id) in stored {
            let added = sqlx::query(
                "INSERT INTO image_files (image_id, width, file_id) VALUES ($1, $2, $3) ON CONFLICT (image_id, width) DO NOTHING",
            )
            .bind(image_id)
            .bind(width)
            .bind(file_id)
            .execute(&mut *tx)
            .await?;
            // Another instance starting at the same moment moved it first: theirs stays.
            if added.rows_affected() == 0 || !files::attach(&mut tx, file_id).await? {
                files::delete(&mut tx, file_id).await?;
            }
        }
        tx.commit().await?;
        moved += 1;
    }
    Ok(moved)
}
