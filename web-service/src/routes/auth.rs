//! Sign in, sign up, sign out and the account page.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{basket, html, safe_next, Visit};
use crate::{
    api::{calls::Registration, Failure, Problem},
    pages::{self, account::SignUpValues},
    session::Shopper,
    state::AppState,
};

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    marketing_opt_in: Option<String>,
    next: Option<String>,
}

type NextRejection = axum::extract::rejection::QueryRejection;

pub async fn sign_in_form(
    visit: Visit,
    query: Result<Query<NextQuery>, NextRejection>,
) -> Response {
    let next = safe_next(query.ok().and_then(|q| q.0.next).as_deref());
    html(pages::account::sign_in(&visit.chrome(), &next, "", None))
}

pub async fn sign_in(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let email = form.email.trim().to_owned();
    match start_session(&state, &mut visit, &email, &form.password).await {
        Ok(()) => Redirect::to(&next).into_response(),
        Err(Failure::Refused(problem)) => {
            let message = match problem.status {
                429 => "Too many attempts. Please wait a minute and try again.".to_owned(),
                401 | 422 => "The email or password is not right.".to_owned(),
                _ => problem.message().to_owned(),
            };
            let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNAUTHORIZED);
            (
                status,
                html(pages::account::sign_in(
                    &visit.chrome(),
                    &next,
                    &email,
                    Some(&message),
                )),
            )
                .into_response()
        }
        Err(down) => down.into_response(),
    }
}

/// Signs in at registration, starts a fresh session for the customer and
/// merges the guest's cart into theirs.
async fn start_session(
    state: &AppState,
    visit: &mut Visit,
    email: &str,
    password: &str,
) -> Result<(), Failure> {
    let tokens = state.api.sign_in(&visit.ctx, email, password).await?;
    let mut ctx = visit.ctx.clone();
    ctx.token = Some(tokens.access_token.clone());
    let customer = state.api.me(&ctx).await?;
    let shopper = Shopper {
        customer,
        access_expires_at: OffsetDateTime::now_utc().unix_timestamp() + tokens.expires_in,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token.unwrap_or_default(),
    };
    visit.session.rotate();
    visit.session.set_shopper(Some(shopper));
    visit.ctx = ctx;
    basket::merge_guest_cart(&state.api, visit).await;
    Ok(())
}

pub async fn sign_up_form(
    visit: Visit,
    query: Result<Query<NextQuery>, NextRejection>,
) -> Response {
    let next = safe_next(query.ok().and_then(|q| q.0.next).as_deref());
    html(pages::account::sign_up(
        &visit.chrome(),
        &next,
        &SignUpValues::default(),
        None,
    ))
}

pub async fn sign_up(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<SignUpForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let values = SignUpValues {
        email: form.email.trim().to_owned(),
        first_name: form.first_name.trim().to_owned(),
        last_name: form.last_name.trim().to_owned(),
        marketing_opt_in: form.marketing_opt_in.is_some(),
    };
    let registration = Registration {
        email: &values.email,
        password: &form.password,
        first_name: &values.first_name,
        last_name: &values.last_name,
        marketing_opt_in: values.marketing_opt_in,
    };
    let refused = |visit: &Visit, problem: Problem| {
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        (
            status,
            html(pages::account::sign_up(
                &visit.chrome(),
                &next,
                &values,
                Some(&problem),
            )),
        )
            .into_response()
    };
    match state.api.register(&visit.ctx, &registration).await {
        Ok(_) => {}
        Err(Failure::Refused(problem)) => return refused(&visit, problem),
        Err(down) => return down.into_response(),
    }
    match start_session(&state, &mut visit, &values.email, &form.password).await {
        Ok(()) => {
            visit.session.notify(format!(
                "Welcome, {}! Your account is ready.",
                values.first_name
            ));
            Redirect::to(&next).into_response()
        }
        Err(Failure::Refused(problem)) => refused(&visit, problem),
        Err(down) => down.into_response(),
    }
}

pub async fn sign_out(State(state): State<AppState>, visit: Visit) -> Response {
    if let Some(shopper) = visit.session.shopper() {
        // Ends the sign-in at registration too, so the refresh token is dead
        // even if the session's contents leaked.
        if let Err(e) = state.api.revoke(&visit.ctx, &shopper.refresh_token).await {
            tracing::warn!(error = %e, "revoking the refresh token at sign-out failed");
        }
    }
    visit.session.rotate();
    visit.session.set_shopper(None);
    visit.session.update(|d| {
        d.cart_count = 0;
        d.claim_outcome = None;
        d.notice = Some("You are signed out.".to_owned());
    });
    Redirect::to("/").into_response()
}

pub async fn account(State(state): State<AppState>, mut visit: Visit) -> Response {
    if let Err(to_sign_in) = visit.signed_in(&state).await {
        return to_sign_in;
    }
    render_account(&state, &visit, None, StatusCode::OK).await
}

async fn render_account(
    state: &AppState,
    visit: &Visit,
    problem: Option<&Problem>,
    status: StatusCode,
) -> Response {
    let (customer, marketing) =
        tokio::join!(state.api.me(&visit.ctx), state.api.marketing(&visit.ctx));
    match customer {
        Ok(customer) => (
            status,
            html(pages::account::account(
                &visit.chrome(),
                &customer,
                marketing.ok(),
                problem,
            )),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct NamesForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
}

pub async fn update_account(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<NamesForm>,
) -> Response {
    if let Err(to_sign_in) = visit.signed_in_then(&state, "/account").await {
        return to_sign_in;
    }
    match state
        .api
        .update_names(&visit.ctx, &form.first_name, &form.last_name)
        .await
    {
        Ok(customer) => {
            visit.session.update_customer(customer);
            visit.session.notify("Your name is saved.");
            Redirect::to("/account").into_response()
        }
        Err(Failure::Refused(problem)) => {
            render_account(
                &state,
                &visit,
                Some(&problem),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(down) => down.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct MarketingForm {
    /// A checkbox: sent only when ticked.
    marketing_opt_in: Option<String>,
}

pub async fn change_marketing(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<MarketingForm>,
) -> Response {
    if let Err(to_sign_in) = visit.signed_in_then(&state, "/account").await {
        return to_sign_in;
    }
    match state
        .api
        .set_marketing(&visit.ctx, form.marketing_opt_in.is_some())
        .await
    {
        Ok(true) => visit
            .session
            .notify("You will get our offers and news by email."),
        Ok(false) => visit
            .session
            .notify("You will no longer get offers by email."),
        Err(Failure::Down(_)) => visit
            .session
            .notify("Your email choice could not be saved right now. Please try again."),
        Err(refused) => return refused.into_response(),
    }
    Redirect::to("/account").into_response()
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// Changes the password at registration, which ends every sign-in, then
/// signs this session in again with the new one.
pub async fn change_password(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<PasswordForm>,
) -> Response {
    let shopper = match visit.signed_in_then(&state, "/account").await {
        Ok(shopper) => shopper,
        Err(to_sign_in) => return to_sign_in,
    };
    match state
        .api
        .change_password(&visit.ctx, &form.current_password, &form.new_password)
        .await
    {
        Ok(()) => {}
        Err(Failure::Refused(problem)) => {
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            return render_account(&state, &visit, Some(&problem), status).await;
        }
        Err(down) => return down.into_response(),
    }
    let email = shopper.customer.email.clone();
    match start_session(&state, &mut visit, &email, &form.new_password).await {
        Ok(()) => {
            visit
                .session
                .notify("Your password is changed. You were signed out everywhere else.");
            Redirect::to("/account").into_response()
        }
        Err(_) => {
            visit.session.set_shopper(None);
            visit
                .session
                .notify("Your password is changed. Please sign in with it.");
            Redirect::to("/sign-in?next=%2Faccount").into_response()
        }
    }
}
