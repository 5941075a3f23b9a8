//! Cover images: the type is read from the bytes, not the name; the size is bounded before
//! decoding; each image is stored resized to the widths the pages use, as JPEG, and served
//! with a year of caching (the file name holds the content hash).
//!
//! Decoding is the costly part (a 40-megapixel PNG of 128 KB took 3.4 s and 280 MB), so it is
//! bounded three ways: at most [`MAX_PIXELS`], one image at a time for the whole process
//! (`AppState::decoding`), and the memory handed back to the system afterwards.

use std::{io::Cursor, path::PathBuf};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use image::{DynamicImage, ImageFormat, ImageReader, Limits, codecs::jpeg::JpegEncoder};
use sha2::{Digest, Sha256};

use crate::{error::AppResult, state::AppState};

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
}

/// The stored image: its content hash and the widths written.
#[derive(Debug, Clone)]
pub struct Stored {
    pub hash: String,
    pub width: u32,
    pub height: u32,
    pub widths: Vec<u32>,
}

pub fn dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("images")
}

/// Checks, decodes, resizes and writes an upload. CPU-heavy: call from `spawn_blocking`.
pub fn process(bytes: &[u8], dir: &std::path::Path) -> Result<Stored, ImageError> {
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
    std::fs::create_dir_all(dir).map_err(|_| ImageError::Damaged)?;
    let mut widths = Vec::new();
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
        std::fs::write(dir.join(format!("{hash}-{width}.jpg")), out)
            .map_err(|_| ImageError::Damaged)?;
        widths.push(width);
    }
    Ok(Stored {
        hash,
        width: w,
        height: h,
        widths,
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

/// Saves an upload and returns the image's id (the same bytes give the same image).
pub async fn save(state: &AppState, bytes: Vec<u8>) -> AppResult<Result<i64, ImageError>> {
    let dir = dir(state);
    let permit = state
        .decoding
        .acquire()
        .await
        .map_err(crate::error::AppError::internal)?;
    let stored = tokio::task::spawn_blocking(move || {
        let stored = process(&bytes, &dir);
        drop(bytes);
        give_memory_back();
        stored
    })
    .await
    .map_err(crate::error::AppError::internal)?;
    drop(permit);
    let stored = match stored {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let widths = stored
        .widths
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO images (hash, width, height, widths, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (hash) DO UPDATE SET widths = excluded.widths RETURNING id",
    )
    .bind(&stored.hash)
    .bind(i64::from(stored.width))
    .bind(i64::from(stored.height))
    .bind(widths)
    .bind(state.clock.now())
    .fetch_one(&state.pool)
    .await?;
    Ok(Ok(id))
}

/// What a template needs to show an image.
#[derive(Debug, Clone, Default)]
pub struct Cover {
    pub hash: String,
    pub widths: Vec<u32>,
    pub width: i64,
    pub height: i64,
    pub alt: String,
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
        format!("/images/{}-{w}.jpg", self.hash)
    }
    pub fn srcset(&self) -> String {
        self.widths
            .iter()
            .map(|w| format!("/images/{}-{w}.jpg {w}w", self.hash))
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
}

pub async fn serve(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let valid = name.len() < 40
        && name.ends_with(".jpg")
        && name[..name.len() - 4]
            .split_once('-')
            .is_some_and(|(h, w)| {
                h.len() == 16
                    && h.bytes().all(|b| b.is_ascii_hexdigit())
                    && w.parse::<u32>().is_ok()
            });
    if !valid {
        return StatusCode::NOT_FOUND.into_response();
    }
    let etag = format!("\"{name}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    match tokio::fs::read(dir(&state).join(&name)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "image/jpeg".to_owned()),
                (
                    header::CACHE_CONTROL,
                    "public, max-age=31536000, immutable".to_owned(),
                ),
                (header::ETAG, etag),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
