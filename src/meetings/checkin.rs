//! The check-in QR code: the staff address of a registration's check-in (`checkin_url`),
//! drawn as a QR code for the registration email (a PNG shown inline), for the registrant's
//! own page and for the badges PDF. The code only names the address: scanning it opens the
//! check-in page, which only staff can use.

use axum::{
    Router,
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use qrcode::{Color, EcLevel, QrCode};

use super::{Meeting, RegStatus, Registration};
use crate::{
    error::{AppError, AppResult},
    notify::{Attachment, PartRole},
    state::AppState,
    web::Member,
};

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/meetings/{slug}/registrations/{id}/checkin.png",
        get(own_code),
    )
}

/// The content id by which the email's HTML shows the code.
pub const CONTENT_ID: &str = "checkin@portal";

/// Light modules around the code, as the QR specification asks, so that phones find it on
/// any background.
const QUIET: usize = 4;
/// Pixels per module in the PNG: a code of 33 modules is then 328 pixels wide.
const PNG_SCALE: usize = 8;

/// The absolute staff address of this registration's check-in.
pub fn checkin_url(state: &AppState, meeting: &Meeting, r: &Registration) -> String {
    format!(
        "{}/staff/meetings/{}/checkin/{}",
        state.config.base(),
        meeting.slug,
        r.checkin_code
    )
}

/// A QR code as a square of grey pixels, one per module, its quiet zone included: 0 dark,
/// 255 light.
pub struct Modules {
    pub width: usize,
    pub pixels: Vec<u8>,
}

/// The QR code of `url`, or `None` for text longer than a QR code holds (about 2,300 bytes).
pub fn modules(url: &str) -> Option<Modules> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).ok()?;
    let inner = code.width();
    let width = inner + 2 * QUIET;
    let mut pixels = vec![255u8; width * width];
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            pixels[(i / inner + QUIET) * width + i % inner + QUIET] = 0;
        }
    }
    Some(Modules { width, pixels })
}

/// The QR code of `url` as a PNG, `PNG_SCALE` pixels per module.
pub fn qr_png(url: &str) -> Option<Vec<u8>> {
    let m = modules(url)?;
    let side = m.width * PNG_SCALE;
    let img = image::GrayImage::from_fn(side as u32, side as u32, |x, y| {
        image::Luma([m.pixels[(y as usize / PNG_SCALE) * m.width + x as usize / PNG_SCALE]])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).ok()?;
    Some(png.into_inner())
}

/// Whether a registration has a code to show: only a registered one is checked in.
pub fn has_code(r: &Registration) -> bool {
    r.status == RegStatus::Registered
}

/// The code as an email's inline picture, for a registration that is registered.
pub fn email_part(state: &AppState, meeting: &Meeting, r: &Registration) -> Option<Attachment> {
    if !has_code(r) {
        return None;
    }
    Some(Attachment {
        filename: "check-in.png".to_owned(),
        content_type: "image/png".to_owned(),
        body: qr_png(&checkin_url(state, meeting, r))?,
        role: PartRole::Inline {
            content_id: CONTENT_ID.to_owned(),
        },
    })
}

/// The registrant's own code, behind the same access as their registration page.
async fn own_code(
    Member(ctx, person): Member,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let (meeting, r, _) = super::register::readable(&ctx, &person, &slug, id).await?;
    if !has_code(&r) {
        return Err(AppError::NotFound);
    }
    let png = qr_png(&checkin_url(&ctx.state, &meeting, &r)).ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        png,
    )
        .into_response())
}
