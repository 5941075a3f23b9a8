//! Name badges to print, `/staff/meetings/{slug}/badges.pdf`: the registered people of the
//! roster's filters in its (folded name) order, six 4×3 in badges to a US Letter page, each
//! with the name, title, city or organization, registration type and the check-in QR code.
//! The font (DejaVu Sans, in `static/fonts/` with its license) is embedded so that every
//! accented name prints as written; the PDF is drawn on a blocking thread.

use axum::{
    Router,
    extract::{Path, Query},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use printpdf::{
    ColorBits, ColorSpace, Image, ImageTransform, ImageXObject, IndirectFontRef, Line as Stroke,
    Mm, PdfDocument, PdfDocumentReference, PdfLayerReference, Point, Px,
};

use super::{
    RegStatus,
    roster::{self, Filters, Line},
};
use crate::{
    error::{AppError, AppResult},
    files::Disposition,
    policy,
    web::{self, Staff},
};

pub fn router() -> Router<crate::state::AppState> {
    Router::new().route("/staff/meetings/{slug}/badges.pdf", get(badges))
}

/// DejaVu Sans: Latin, Greek and Cyrillic with their accents ("Núñez", "Tomás").
const FONT_FILE: &[u8] = include_bytes!("../../static/fonts/DejaVuSans.ttf");

/// The font as printpdf is given it: with its character maps of the Basic Multilingual
/// Plane only. printpdf 0.7 writes a character above U+FFFF into the PDF's ToUnicode map as
/// five hex digits instead of two UTF-16 units, a map text extractors fail to read (and
/// then no name on the badges can be searched or copied); without those maps the few
/// glyphs above U+FFFF (emoji, old scripts) are simply not used.
static FONT: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| bmp_cmap(FONT_FILE));

/// The font with its `cmap` encoding records reduced to the BMP formats (0, 4, 6). The
/// tables stay where they are; only the list of records shrinks.
fn bmp_cmap(font: &[u8]) -> Vec<u8> {
    let mut f = font.to_vec();
    let u16_at = |f: &[u8], at: usize| usize::from(u16::from_be_bytes([f[at], f[at + 1]]));
    let u32_at =
        |f: &[u8], at: usize| u32::from_be_bytes([f[at], f[at + 1], f[at + 2], f[at + 3]]) as usize;
    let Some(dir) = (0..u16_at(&f, 4))
        .map(|i| 12 + 16 * i)
        .find(|&d| &f[d..d + 4] == b"cmap")
    else {
        return f;
    };
    let cmap = u32_at(&f, dir + 8);
    let kept: Vec<[u8; 8]> = (0..u16_at(&f, cmap + 2))
        .map(|j| cmap + 4 + 8 * j)
        .filter(|&r| matches!(u16_at(&f, cmap + u32_at(&f, r + 4)), 0 | 4 | 6))
        .map(|r| f[r..r + 8].try_into().expect("eight bytes"))
        .collect();
    for (j, record) in kept.iter().enumerate() {
        f[cmap + 4 + 8 * j..cmap + 12 + 8 * j].copy_from_slice(record);
    }
    f[cmap + 2..cmap + 4].copy_from_slice(&(kept.len() as u16).to_be_bytes());
    f
}

/// US Letter, in millimetres.
const PAGE_W: f32 = 215.9;
const PAGE_H: f32 = 279.4;
/// A badge, 4 × 3 inches, two across and three down.
const BADGE_W: f32 = 101.6;
const BADGE_H: f32 = 76.2;
const COLUMNS: usize = 2;
const ROWS: usize = 3;
pub const PER_PAGE: usize = COLUMNS * ROWS;
/// Space inside a badge's edge.
const PAD: f32 = 5.0;
/// The QR code's side on a badge.
const QR_SIDE: f32 = 30.0;
/// Millimetres per point.
const PT: f32 = 25.4 / 72.0;

/// One badge's words and code.
pub struct Badge {
    pub name: String,
    pub title: String,
    pub city: String,
    pub type_name: String,
    pub url: String,
}

impl Badge {
    fn of(line: Line, url: String) -> Self {
        Badge {
            name: line.r.name,
            title: line.title,
            city: line.city,
            type_name: line.type_name,
            url,
        }
    }
}

/// The badges of the registered people among the roster's filters (a filter on another
/// status finds none).
async fn badges(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    Query(filters): Query<Filters>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_meetings(&person))?;
    let meeting = roster::managed(&ctx, &slug).await?;
    let mut bound = filters.bound()?;
    let lines = match bound.status {
        Some(s) if s != RegStatus::Registered => Vec::new(),
        _ => {
            bound.status = Some(RegStatus::Registered);
            roster::lines(
                &mut *ctx.state.pool.acquire().await?,
                meeting.id,
                &bound,
                None,
            )
            .await?
        }
    };
    let badges: Vec<Badge> = lines
        .into_iter()
        .map(|l| {
            let url = super::checkin::checkin_url(&ctx.state, &meeting, &l.r);
            Badge::of(l, url)
        })
        .collect();
    let title = meeting.title.clone();
    let pdf = tokio::task::spawn_blocking(move || pdf(&title, &badges))
        .await
        .map_err(|e| AppError::Internal(format!("badges: {e}")))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                Disposition::Inline.value(&format!("{}-badges.pdf", meeting.slug)),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        pdf,
    )
        .into_response())
}

fn pdf_error(e: printpdf::Error) -> AppError {
    AppError::Internal(format!("badges PDF: {e}"))
}

/// The PDF of these badges, `PER_PAGE` to a page; one page saying so when there are none.
pub fn pdf(meeting_title: &str, badges: &[Badge]) -> AppResult<Vec<u8>> {
    let (doc, page, layer) = PdfDocument::new(
        format!("Badges: {meeting_title}"),
        Mm(PAGE_W),
        Mm(PAGE_H),
        "Badges",
    );
    let font = doc.add_external_font(FONT.as_slice()).map_err(pdf_error)?;
    let face = owned_ttf_parser::Face::parse(&FONT, 0)
        .map_err(|e| AppError::Internal(format!("badges font: {e}")))?;
    let writer = Writer { font, face };
    let first = doc.get_page(page).get_layer(layer);
    if badges.is_empty() {
        writer.text(
            &first,
            "No one registered matches these filters.",
            14.0,
            20.0,
            PAGE_H - 30.0,
        );
    }
    for (n, chunk) in badges.chunks(PER_PAGE).enumerate() {
        let layer = if n == 0 {
            first.clone()
        } else {
            new_page(&doc)
        };
        for (i, badge) in chunk.iter().enumerate() {
            let (col, row) = (i % COLUMNS, i / COLUMNS);
            let x = (PAGE_W - BADGE_W * COLUMNS as f32) / 2.0 + BADGE_W * col as f32;
            let top = PAGE_H - (PAGE_H - BADGE_H * ROWS as f32) / 2.0 - BADGE_H * row as f32;
            writer.badge(&layer, meeting_title, badge, x, top - BADGE_H);
        }
    }
    doc.save_to_bytes().map_err(pdf_error)
}

fn new_page(doc: &PdfDocumentReference) -> PdfLayerReference {
    let (page, layer) = doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "Badges");
    doc.get_page(page).get_layer(layer)
}

/// The font as placed in the PDF, and as measured.
struct Writer<'a> {
    font: IndirectFontRef,
    face: owned_ttf_parser::Face<'a>,
}

impl Writer<'_> {
    /// The width of `text` at `size` points, in millimetres.
    fn width(&self, text: &str, size: f32) -> f32 {
        let per_em = f32::from(self.face.units_per_em());
        let units: u32 = text
            .chars()
            .map(|c| {
                self.face
                    .glyph_index(c)
                    .and_then(|g| self.face.glyph_hor_advance(g))
                    .map_or(u32::from(self.face.units_per_em()) / 2, u32::from)
            })
            .sum();
        units as f32 / per_em * size * PT
    }

    /// `text` at `size` points or smaller (down to `min`) to fit `room` millimetres; cut
    /// with an ellipsis when even that is too wide.
    fn fit(&self, text: &str, size: f32, min: f32, room: f32) -> (String, f32) {
        let wide = self.width(text, size);
        if wide <= room {
            return (text.to_owned(), size);
        }
        let smaller = (size * room / wide).max(min);
        let mut cut: String = text.to_owned();
        while self.width(&cut, smaller) > room && cut.chars().count() > 1 {
            cut.pop();
            while cut.ends_with('…') || cut.ends_with(' ') {
                cut.pop();
            }
            cut.push('…');
        }
        (cut, smaller)
    }

    fn text(&self, layer: &PdfLayerReference, text: &str, size: f32, x: f32, y: f32) {
        if !text.is_empty() {
            layer.use_text(text, size, Mm(x), Mm(y), &self.font);
        }
    }

    /// One badge with its lower left corner at (`x`, `y`).
    fn badge(&self, layer: &PdfLayerReference, meeting_title: &str, b: &Badge, x: f32, y: f32) {
        outline(layer, x, y);
        let room = BADGE_W - 2.0 * PAD;
        let beside_code = room - QR_SIDE - PAD;
        let (head, size) = self.fit(meeting_title, 9.0, 7.0, room);
        self.text(layer, &head, size, x + PAD, y + BADGE_H - PAD - 4.0);
        let (name, size) = self.fit(&b.name, 26.0, 14.0, room);
        self.text(layer, &name, size, x + PAD, y + BADGE_H - 26.0);
        let (title, size) = self.fit(&b.title, 13.0, 9.0, room);
        self.text(layer, &title, size, x + PAD, y + BADGE_H - 35.0);
        let (city, size) = self.fit(&b.city, 12.0, 8.0, beside_code);
        self.text(layer, &city, size, x + PAD, y + 24.0);
        let (kind, size) = self.fit(&b.type_name, 11.0, 8.0, beside_code);
        self.text(layer, &kind, size, x + PAD, y + PAD + 2.0);
        if let Some(m) = super::checkin::modules(&b.url) {
            qr(layer, m, x + BADGE_W - PAD - QR_SIDE, y + PAD - 1.0);
        }
    }
}

/// A thin frame to cut along.
fn outline(layer: &PdfLayerReference, x: f32, y: f32) {
    layer.set_outline_thickness(0.3);
    let corner = |dx: f32, dy: f32| (Point::new(Mm(x + dx), Mm(y + dy)), false);
    layer.add_line(Stroke {
        points: vec![
            corner(0.0, 0.0),
            corner(BADGE_W, 0.0),
            corner(BADGE_W, BADGE_H),
            corner(0.0, BADGE_H),
        ],
        is_closed: true,
    });
}

/// The QR code, one grey pixel per module scaled to `QR_SIDE`, not smoothed.
fn qr(layer: &PdfLayerReference, m: super::checkin::Modules, x: f32, y: f32) {
    let dpi = m.width as f32 * 25.4 / QR_SIDE;
    Image::from(ImageXObject {
        width: Px(m.width),
        height: Px(m.width),
        color_space: ColorSpace::Greyscale,
        bits_per_component: ColorBits::Bit8,
        interpolate: false,
        image_data: m.pixels,
        image_filter: None,
        smask: None,
        clipping_bbox: None,
    })
    .add_to_layer(
        layer.clone(),
        ImageTransform {
            translate_x: Some(Mm(x)),
            translate_y: Some(Mm(y)),
            dpi: Some(dpi),
            ..ImageTransform::default()
        },
    );
}
