//! Error pages: a status in words, what to do next, never a stack trace.

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use maud::{html, Markup};

use super::{layout, Chrome};

fn render(status: StatusCode, title: &str, body: Markup) -> Response {
    let page = layout(title, &Chrome::default(), body);
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page.into_string(),
    )
        .into_response()
}

pub fn status_page(status: StatusCode) -> Response {
    let (title, text) = match status.as_u16() {
        404 => (
            "Page not found",
            "There is nothing at this address. It may have moved, or the link may be mistyped.",
        ),
        403 => ("Not allowed", "You may not do that."),
        405 => ("Not allowed", "This page cannot be used that way."),
        413 => ("Too much", "What was sent is too large."),
        400 | 422 => ("That did not work", "The request could not be understood."),
        429 => (
            "Slow down",
            "Too many attempts. Please wait a minute and try again.",
        ),
        503 => (
            "Back soon",
            "The shop is busy or being updated. Please try again in a moment.",
        ),
        s if s >= 500 => (
            "Something went wrong",
            "Something went wrong on our side. It has been logged; please try again.",
        ),
        _ => ("That did not work", "Please go back and try again."),
    };
    render(
        status,
        title,
        html! {
            section.message {
                h1 { (title) }
                p { (text) }
                p { a.button href="/" { "Go to the shop" } }
            }
        },
    )
}

/// A dependency is down: a friendly page naming what is missing.
pub fn unavailable_page(what: &str) -> Response {
    render(
        StatusCode::SERVICE_UNAVAILABLE,
        "Back soon",
        html! {
            section.message {
                h1 { "Back soon" }
                p { "Part of " (what) " is unavailable right now. Nothing you did was lost; please try again in a moment." }
                p { a.button href="/" { "Go to the shop" } }
            }
        },
    )
}

/// A form without its CSRF token (expired session, another site's form).
pub fn forbidden_page() -> Response {
    render(
        StatusCode::FORBIDDEN,
        "Form expired",
        html! {
            section.message {
                h1 { "This form has expired" }
                p { "For your safety, the form could not be accepted. Go back, reload the page and try again." }
                p { a.button href="/" { "Go to the shop" } }
            }
        },
    )
}
