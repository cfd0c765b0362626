//! Sign in, sign up and the account page.

use maud::{html, Markup};

use super::{csrf_field, field_error, layout, Chrome};
use crate::api::{types::Customer, Problem};

#[derive(Debug, Default, Clone)]
pub struct SignUpValues {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub marketing_opt_in: bool,
}

pub fn sign_in(chrome: &Chrome, next: &str, email: &str, error: Option<&str>) -> Markup {
    let sign_up = format!(
        "/sign-up?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    layout(
        "Sign in",
        chrome,
        html! {
            section.narrow {
                h1 { "Sign in" }
                @if let Some(error) = error { p.form-error role="alert" { (error) } }
                form.stacked action="/sign-in" method="post" {
                    (csrf_field(&chrome.csrf()))
                    input type="hidden" name="next" value=(next);
                    label for="email" { "Email" }
                    input #email type="email" name="email" value=(email) autocomplete="email" required;
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button.primary type="submit" { "Sign in" }
                }
                p { "New here? " a href=(sign_up) { "Create an account" } }
            }
        },
    )
}

pub fn sign_up(
    chrome: &Chrome,
    next: &str,
    values: &SignUpValues,
    problem: Option<&Problem>,
) -> Markup {
    let field = |name: &str| problem.and_then(|p| p.field(name));
    let general = problem
        .filter(|p| p.errors.is_empty())
        .map(|p| match p.status {
            409 => "An account with this email already exists. Sign in instead.".to_owned(),
            429 => "Too many sign-ups from your address. Please wait a minute.".to_owned(),
            _ => p.message().to_owned(),
        });
    let sign_in = format!(
        "/sign-in?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let invalid = |name: &str| {
        if field(name).is_some() {
            "true"
        } else {
            "false"
        }
    };
    layout(
        "Create an account",
        chrome,
        html! {
            section.narrow {
                h1 { "Create an account" }
                @if let Some(general) = general { p.form-error role="alert" { (general) } }
                form.stacked action="/sign-up" method="post" novalidate {
                    (csrf_field(&chrome.csrf()))
                    input type="hidden" name="next" value=(next);
                    label for="first_name" { "First name" }
                    input #first_name name="first_name" value=(values.first_name) autocomplete="given-name" required aria-invalid=(invalid("first_name"));
                    (field_error(field("first_name"), "first_name"))
                    label for="last_name" { "Last name" }
                    input #last_name name="last_name" value=(values.last_name) autocomplete="family-name" required aria-invalid=(invalid("last_name"));
                    (field_error(field("last_name"), "last_name"))
                    label for="email" { "Email" }
                    input #email type="email" name="email" value=(values.email) autocomplete="email" required aria-invalid=(invalid("email"));
                    (field_error(field("email"), "email"))
                    label for="password" { "Password (at least 10 characters)" }
                    input #password type="password" name="password" autocomplete="new-password" required aria-invalid=(invalid("password"));
                    (field_error(field("password"), "password"))
                    label.check {
                        input type="checkbox" name="marketing_opt_in" checked[values.marketing_opt_in];
                        " Email me offers and news (you can stop them at any time)"
                    }
                    button.primary type="submit" { "Create account" }
                }
                p { "Already have an account? " a href=(sign_in) { "Sign in" } }
            }
        },
    )
}

/// The account page; `marketing` is `None` when campaign-service, which
/// keeps the choice, did not answer.
pub fn account(
    chrome: &Chrome,
    customer: &Customer,
    marketing: Option<bool>,
    problem: Option<&Problem>,
) -> Markup {
    let field = |name: &str| problem.and_then(|p| p.field(name));
    let general = problem
        .filter(|p| p.errors.is_empty())
        .map(|p| match p.status {
            429 => "Too many wrong passwords. Please wait a minute and try again.".to_owned(),
            _ => p.message().to_owned(),
        });
    let invalid = |name: &str| {
        if field(name).is_some() {
            "true"
        } else {
            "false"
        }
    };
    layout(
        "Your account",
        chrome,
        html! {
            section.narrow {
                h1 { "Your account" }
                @if let Some(general) = general { p.form-error role="alert" { (general) } }
                dl.facts {
                    dt { "Email" } dd { (customer.email) }
                }
                p { a href="/account/orders" { "Your orders" } }
                form.stacked action="/account/marketing" method="post" {
                    (csrf_field(&chrome.csrf()))
                    h2 { "Emails" }
                    @match marketing {
                        Some(opted_in) => {
                            label.check {
                                input type="checkbox" name="marketing_opt_in" checked[opted_in];
                                " Email me offers and news"
                            }
                            p.hint { "Order and account emails are sent either way." }
                            button type="submit" { "Save email choice" }
                        }
                        None => p.notice role="status" { "Your email choices are unavailable right now." }
                    }
                }
                form.stacked action="/account" method="post" novalidate {
                    (csrf_field(&chrome.csrf()))
                    h2 { "Your name" }
                    label for="first_name" { "First name" }
                    input #first_name name="first_name" value=(customer.first_name) autocomplete="given-name" required aria-invalid=(invalid("first_name"));
                    (field_error(field("first_name"), "first_name"))
                    label for="last_name" { "Last name" }
                    input #last_name name="last_name" value=(customer.last_name) autocomplete="family-name" required aria-invalid=(invalid("last_name"));
                    (field_error(field("last_name"), "last_name"))
                    button type="submit" { "Save name" }
                }
                form.stacked action="/account/password" method="post" novalidate {
                    (csrf_field(&chrome.csrf()))
                    h2 { "Password" }
                    label for="current_password" { "Current password" }
                    input #current_password type="password" name="current_password" autocomplete="current-password" required aria-invalid=(invalid("current_password"));
                    (field_error(field("current_password"), "current_password"))
                    label for="new_password" { "New password (at least 10 characters)" }
                    input #new_password type="password" name="new_password" autocomplete="new-password" required aria-invalid=(invalid("new_password"));
                    (field_error(field("new_password"), "new_password"))
                    button type="submit" { "Change password" }
                    p.hint { "Changing it signs you out on every other device." }
                }
            }
        },
    )
}
