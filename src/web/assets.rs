//! Static files, built into the binary: served with an ETag, and for a fingerprinted URL
//! (`?v=<hash>`) with a year of immutable caching.

use std::sync::LazyLock;

use axum::{
    extract::{Path, Query},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    mime: &'static str,
    bytes: &'static [u8],
}

static ASSETS: &[Asset] = &[
    Asset {
        name: "portal.css",
        mime: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/portal.css"),
    },
    Asset {
        name: "form.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/form.js"),
    },
    Asset {
        name: "editor.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/editor.js"),
    },
    Asset {
        name: "copy.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/copy.js"),
    },
    Asset {
        name: "favicon.svg",
        mime: "image/svg+xml",
        bytes: include_bytes!("../../static/favicon.svg"),
    },
];

/// The first 16 hex digits of each asset's SHA-256, in the order of `ASSETS`.
static HASHES: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| hex::encode(Sha256::digest(a.bytes))[..16].to_owned())
        .collect()
});

fn find(name: &str) -> Option<(&'static Asset, &'static str)> {
    ASSETS
        .iter()
        .zip(HASHES.iter())
        .find(|(a, _)| a.name == name)
        .map(|(a, h)| (a, h.as_str()))
}

/// The fingerprinted URL of an asset, for templates.
pub fn url(name: &str) -> String {
    match find(name) {
        Some((_, hash)) => format!("/static/{name}?v={hash}"),
        None => format!("/static/{name}"),
    }
}

#[derive(serde::Deserialize)]
pub struct Version {
    v: Option<String>,
}

pub async fn serve(
    Path(name): Path<String>,
    Query(version): Query<Version>,
    headers: HeaderMap,
) -> Response {
    let Some((asset, hash)) = find(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{hash}\"");
    let cache = if version.v.as_deref() == Some(hash) {
        "public, max-age=31536000, immutable"
    } else {
        "public, no-cache"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, cache.to_owned()),
            ],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, asset.mime.to_owned()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        asset.bytes,
    )
        .into_response()
}
