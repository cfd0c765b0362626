//! The shop's own CSS and JavaScript, compiled into the binary and served
//! under names carrying their content's hash, so they can be cached for a
//! year (`immutable`) and a new release is fetched at once.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::pages;

struct Asset {
    path: String,
    content_type: &'static str,
    body: &'static str,
}

fn asset(stem: &str, ext: &str, content_type: &'static str, body: &'static str) -> Asset {
    let digest = Sha256::digest(body.as_bytes());
    let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    Asset {
        path: format!("{stem}.{hash}.{ext}"),
        content_type,
        body,
    }
}

static CSS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "shop",
        "css",
        "text/css; charset=utf-8",
        include_str!("../assets/shop.css"),
    )
});
static JS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "shop",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/shop.js"),
    )
});

/// `/assets/shop.<hash>.css`
pub fn css_url() -> String {
    format!("/assets/{}", CSS.path)
}

/// `/assets/shop.<hash>.js`
pub fn js_url() -> String {
    format!("/assets/{}", JS.path)
}

pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(asset) = [&*CSS, &*JS].into_iter().find(|a| a.path == name) else {
        return pages::errors::status_page(StatusCode::NOT_FOUND);
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        asset.body,
    )
        .into_response()
}
