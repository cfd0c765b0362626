//! Campaigns and their promo codes: the list with each code's redemptions
//! against its caps, a new campaign (offer, dates, caps), and ending one
//! early after a confirmation (its end moves to now; the record stays).

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use time::{OffsetDateTime, UtcOffset};

use super::{
    invalid, page, refusal, status_of,
    times::{self, OFFSET_FIELD},
    Admin,
};
use crate::{
    api::{admin::AdminCampaign, types::Offer, Failure, Problem},
    pages::{csrf_field, field_error, money, utc, Chrome},
    state::AppState,
};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

fn offer_text(offer: &Offer, currency: &str) -> String {
    match offer {
        Offer::Percent { percent_off } => format!("{percent_off}% off"),
        Offer::Fixed { amount_off_cents } => format!("{} off", money(*amount_off_cents, currency)),
    }
}

fn state_of(c: &AdminCampaign, now: OffsetDateTime) -> (&'static str, &'static str) {
    if c.ends_at <= now {
        ("Ended", "status off")
    } else if c.starts_at > now {
        ("Scheduled", "status wait")
    } else {
        ("Running", "status ok")
    }
}

fn caps(c: &AdminCampaign) -> Markup {
    html! {
        @match &c.promo_code {
            None => "No code",
            Some(code) => {
                (code.code) " · " (code.redeemed_count)
                @match code.max_redemptions { Some(max) => { " of " (max) " redeemed" } None => { " redeemed (no cap)" } }
                @if let Some(per) = code.per_customer_limit { ", " (per) " per customer" }
                @if code.min_order_cents > 0 { ", orders from " (money(code.min_order_cents, &c.currency)) }
            }
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let campaigns = match state
        .api
        .admin_campaigns(&admin.visit.ctx, query.cursor.as_deref())
        .await
    {
        Ok(c) => Ok(c),
        Err(Failure::Refused(p)) => Err(p),
        Err(down) => return super::down(down),
    };
    let now = OffsetDateTime::now_utc();
    let chrome = admin.chrome();
    let status = campaigns.as_ref().err().map_or(StatusCode::OK, status_of);
    page(
        "Campaigns",
        &chrome,
        status,
        html! {
            div.heading {
                h1 { "Campaigns" }
                a.button.primary href="/admin/campaigns/new" { "New campaign" }
            }
            @match &campaigns {
                Err(problem) => (refusal(Some(problem))),
                Ok(c) if c.items.is_empty() => p { "No campaigns yet." },
                Ok(c) => {
                    table.admin {
                        thead { tr { th { "Campaign" } th { "Offer" } th { "Runs (UTC)" } th { "Promo code" } th { "State" } th { span.visually-hidden { "Actions" } } } }
                        tbody {
                            @for campaign in &c.items {
                                @let (label, class) = state_of(campaign, now);
                                tr {
                                    td { (campaign.name) }
                                    td { (offer_text(&campaign.offer, &campaign.currency)) }
                                    td { (utc(campaign.starts_at)) " – " (utc(campaign.ends_at)) }
                                    td { (caps(campaign)) }
                                    td { span class=(class) { (label) } }
                                    td { @if label == "Running" { a href=(format!("/admin/campaigns/{}/end", campaign.id)) { "End now" } } }
                                }
                            }
                        }
                    }
                    @if let Some(cursor) = &c.next_cursor {
                        p { a.button href=(format!("/admin/campaigns?cursor={cursor}")) { "More campaigns" } }
                    }
                }
            }
        },
    )
}

/// The form's values, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    /// `percent` or `fixed`.
    #[serde(default)]
    offer_kind: String,
    #[serde(default)]
    offer_value: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    max_redemptions: String,
    #[serde(default)]
    per_customer_limit: String,
    #[serde(default)]
    min_order: String,
    #[serde(default)]
    utc_offset_minutes: Option<String>,
}

fn form_page(
    chrome: &Chrome,
    values: &CampaignForm,
    offset: UtcOffset,
    problem: Option<&Problem>,
    status: StatusCode,
) -> Response {
    let field = |name: &str| problem.and_then(|p| p.field(name));
    let general = problem.filter(|p| p.errors.is_empty());
    let zone = times::zone_name(offset);
    page(
        "New campaign",
        chrome,
        status,
        html! {
            section.narrow {
                h1 { "New campaign" }
                (refusal(general))
                form.stacked action="/admin/campaigns/new" method="post" novalidate data-local-times {
                    (csrf_field(&chrome.csrf()))
                    input type="hidden" name=(OFFSET_FIELD) value=(offset.whole_minutes());
                    label for="name" { "Name" }
                    input #name name="name" value=(values.name) required;
                    (field_error(field("name"), "name"))
                    label for="description" { "Description" }
                    input #description name="description" value=(values.description);
                    (field_error(field("description"), "description"))
                    fieldset {
                        legend { "Offer" }
                        label.check { input type="radio" name="offer_kind" value="percent" checked[values.offer_kind != "fixed"]; " A percentage off" }
                        label.check { input type="radio" name="offer_kind" value="fixed" checked[values.offer_kind == "fixed"]; " An amount off" }
                        label for="offer_value" { "How much (10 for 10 %, or 5.00)" }
                        input #offer_value name="offer_value" value=(values.offer_value) inputmode="decimal" required;
                        (field_error(field("offer").or(field("offer.percent_off")).or(field("offer.amount_off_cents")), "offer_value"))
                    }
                    label for="starts_at" { "Starts (" span data-zone { (zone) } ")" }
                    input #starts_at type="datetime-local" name="starts_at" value=(values.starts_at) required;
                    (field_error(field("starts_at"), "starts_at"))
                    label for="ends_at" { "Ends (" span data-zone { (zone) } ")" }
                    input #ends_at type="datetime-local" name="ends_at" value=(values.ends_at) required;
                    (field_error(field("ends_at"), "ends_at"))
                    fieldset {
                        legend { "Promo code (optional)" }
                        label for="code" { "Code" }
                        input #code name="code" value=(values.code) autocapitalize="characters";
                        (field_error(field("promo_code.code"), "code"))
                        label for="max_redemptions" { "Redemptions allowed in all (empty: no cap)" }
                        input #max_redemptions name="max_redemptions" type="number" min="1" value=(values.max_redemptions);
                        (field_error(field("promo_code.max_redemptions"), "max_redemptions"))
                        label for="per_customer_limit" { "Per customer (empty: no cap)" }
                        input #per_customer_limit name="per_customer_limit" type="number" min="1" value=(values.per_customer_limit);
                        (field_error(field("promo_code.per_customer_limit"), "per_customer_limit"))
                        label for="min_order" { "Smallest order it applies to" }
                        input #min_order name="min_order" value=(values.min_order) inputmode="decimal";
                        (field_error(field("promo_code.min_order_cents"), "min_order"))
                    }
                    button.primary type="submit" { "Create campaign" }
                }
            }
        },
    )
}

pub async fn new_form(admin: Admin) -> Response {
    let now = OffsetDateTime::now_utc();
    let values = CampaignForm {
        starts_at: times::input_value(now, UtcOffset::UTC),
        ends_at: times::input_value(now + time::Duration::days(7), UtcOffset::UTC),
        ..CampaignForm::default()
    };
    form_page(
        &admin.chrome(),
        &values,
        UtcOffset::UTC,
        None,
        StatusCode::OK,
    )
}

fn optional_number(raw: &str) -> Option<Value> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| {
        raw.parse::<i64>()
            .map_or_else(|_| Value::from(raw), Value::from)
    })
}

/// The body of `POST /campaigns` from the form, or the first field that
/// cannot be read.
fn body(form: &CampaignForm, offset: UtcOffset) -> Result<Value, Problem> {
    let at = |raw: &str, field: &str| {
        times::parse_local(raw, offset)
            .and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .ok_or_else(|| invalid(field, "must be a date and time"))
    };
    let offer = if form.offer_kind == "fixed" {
        let cents = super::products::price_cents(&form.offer_value)
            .ok_or_else(|| invalid("offer", "must be an amount such as 5.00"))?;
        json!({"kind": "fixed", "amount_off_cents": cents})
    } else {
        let percent: i64 = form
            .offer_value
            .trim()
            .trim_end_matches('%')
            .parse()
            .map_err(|_| invalid("offer", "must be a whole percentage such as 10"))?;
        json!({"kind": "percent", "percent_off": percent})
    };
    let mut body = json!({
        "name": form.name.trim(),
        "description": form.description.trim(),
        "offer": offer,
        "starts_at": at(&form.starts_at, "starts_at")?,
        "ends_at": at(&form.ends_at, "ends_at")?,
    });
    if !form.code.trim().is_empty() {
        let mut code = Map::new();
        code.insert("code".into(), Value::from(form.code.trim()));
        for (name, raw) in [
            ("max_redemptions", &form.max_redemptions),
            ("per_customer_limit", &form.per_customer_limit),
        ] {
            if let Some(n) = optional_number(raw) {
                code.insert(name.into(), n);
            }
        }
        if !form.min_order.trim().is_empty() {
            let cents = super::products::price_cents(&form.min_order).ok_or_else(|| {
                invalid(
                    "promo_code.min_order_cents",
                    "must be an amount such as 50.00",
                )
            })?;
            code.insert("min_order_cents".into(), Value::from(cents));
        }
        body["promo_code"] = Value::Object(code);
    }
    Ok(body)
}

pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    Form(form): Form<CampaignForm>,
) -> Response {
    let offset = times::offset(form.utc_offset_minutes.as_deref());
    let body = match body(&form, offset) {
        Ok(body) => body,
        Err(problem) => {
            return form_page(
                &admin.chrome(),
                &form,
                offset,
                Some(&problem),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    match state.api.create_campaign(&admin.visit.ctx, &body).await {
        Ok(campaign) => {
            admin
                .visit
                .session
                .notify(format!("The campaign {} is saved.", campaign.name));
            Redirect::to("/admin/campaigns").into_response()
        }
        Err(Failure::Refused(problem)) => form_page(
            &admin.chrome(),
            &form,
            offset,
            Some(&problem),
            status_of(&problem),
        ),
        Err(down) => super::down(down),
    }
}

async fn find(state: &AppState, admin: &Admin, id: &str) -> Result<AdminCampaign, Response> {
    super::found(id, |id| state.api.admin_campaign(&admin.visit.ctx, id)).await
}

pub async fn confirm_end(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Response {
    let campaign = match find(&state, &admin, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let chrome = admin.chrome();
    page(
        "End a campaign",
        &chrome,
        StatusCode::OK,
        html! {
            section.narrow {
                h1 { "End " (campaign.name) " now?" }
                p {
                    "Its offer stops at once"
                    @if let Some(code) = &campaign.promo_code { " and the code " strong { (code.code) } " no longer applies" }
                    ". Orders already placed keep their discount. This cannot be undone."
                }
                form.stacked action=(format!("/admin/campaigns/{}/end", campaign.id)) method="post" {
                    (csrf_field(&chrome.csrf()))
                    button.danger type="submit" { "End " (campaign.name) }
                }
                p { a href="/admin/campaigns" { "Keep it running" } }
            }
        },
    )
}

pub async fn end(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let campaign = match find(&state, &admin, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match state.api.end_campaign(&admin.visit.ctx, campaign.id).await {
        Ok(_) => admin
            .visit
            .session
            .notify(format!("{} has ended.", campaign.name)),
        Err(Failure::Refused(problem)) => {
            let said = format!("{}: {}", problem.title, problem.message());
            admin.visit.session.notify(said);
        }
        Err(down) => return super::down(down),
    }
    Redirect::to("/admin/campaigns").into_response()
}
