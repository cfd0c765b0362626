//! Schemathesis against every service's served OpenAPI document, as an
//! admin and as a customer (and as a service where operations are for
//! services only), all phases (examples, coverage, fuzzing, and stateful
//! over the links it infers): no 5xx, every response documented and
//! matching its schema, and every operation answering at least one 2xx
//! during the run (counted from each service's own request metrics, so a
//! run that only collects 401s fails).
//!
//! Generated ids find nothing, so where a 2xx needs an existing resource:
//! - seeded, and passed to the operation through the run's config
//!   (`overrides`): a product (`/products/{id}`, the cart's items), orders
//!   in each state (read, cancel, ship, deliver), reservations in each state
//!   (read, commit, release, return), an open flash sale (read, claim), SKUs
//!   (stock), the promo code (promo-code operations) and an unsubscribe token;
//! - seeded so that the schemas' own examples succeed: the example login
//!   (`POST /auth/token`), the example SKU (`POST /reservations`,
//!   `POST /flash-sales`), the example promo code and a full cart
//!   (`POST /orders`); the customer of `GET /customers/me` is a real login;
//! - body fields fixed: the campaign and flash-sale windows, relative to now
//!   (a fixed date in an example would expire);
//! - stateful links only: `GET`/`DELETE /campaigns/{id}` and
//!   `DELETE /products/{id}` act on what `POST` just created.
//!
//! `SCHEMATHESIS_MAX_EXAMPLES` asks for a deeper run than the bounded one;
//! each run's output is kept in `target/schemathesis/`.

mod run;
mod seed;

use std::fmt::Write as _;

use time::{Duration, OffsetDateTime};

use crate::helpers::{spawn_platform, Platform};
use run::{two_xx_counts, Operation, Run, Target};
use seed::{rfc3339, seed, Seeded, EXAMPLE_PROMO, EXAMPLE_SKU, STOCKED_SKU};

/// Fixed overrides for the run: `(operation, [(parameter, value)])`, with
/// parameters named as Schemathesis does (`path.id`, `query.token`, `body.sku`).
type Overrides = Vec<(&'static str, Vec<(&'static str, String)>)>;

fn overrides(service: &str, s: &Seeded) -> Overrides {
    let now = OffsetDateTime::now_utc();
    let window = || {
        vec![
            ("body.starts_at", rfc3339(now - Duration::minutes(1))),
            ("body.ends_at", rfc3339(now + Duration::hours(1))),
        ]
    };
    let with_window = |mut extra: Vec<(&'static str, String)>| {
        extra.extend(window());
        extra
    };
    let id = |id: uuid::Uuid| vec![("path.id", id.to_string())];
    match service {
        "campaign" => vec![
            ("POST /campaigns", window()),
            ("PATCH /campaigns/{id}", window()),
            ("GET /promo-codes/{code}", promo()),
            ("POST /promo-codes/{code}/redemptions", promo()),
            ("DELETE /promo-codes/{code}/redemptions/{order_id}", promo()),
            ("GET /emails/unsubscribe", token(s)),
            ("POST /emails/unsubscribe", token(s)),
            ("GET /unsubscribe", token(s)),
        ],
        "catalog" => vec![
            ("GET /products/{id}", id(s.product)),
            ("PATCH /products/{id}", id(s.product)),
        ],
        "order" => vec![
            ("PUT /cart/items/{product_id}", product(s)),
            ("DELETE /cart/items/{product_id}", product(s)),
            ("GET /orders/{id}", id(s.order)),
            ("POST /orders/{id}/cancel", id(s.order_to_cancel)),
            ("POST /orders/{id}/ship", id(s.order_to_ship)),
            ("POST /orders/{id}/deliver", id(s.order_to_deliver)),
        ],
        "inventory" => vec![
            ("GET /inventory/{sku}", sku(EXAMPLE_SKU)),
            ("PUT /inventory/{sku}", sku(STOCKED_SKU)),
            ("POST /inventory/{sku}/adjustments", sku(STOCKED_SKU)),
            (
                "POST /flash-sales",
                with_window(vec![("body.sku", EXAMPLE_SKU.to_owned())]),
            ),
            ("GET /flash-sales/{id}", id(s.flash_sale)),
            ("POST /flash-sales/{id}/claims", id(s.flash_sale)),
            ("GET /reservations/{id}", id(s.reservation)),
            (
                "POST /reservations/{id}/commit",
                id(s.reservation_to_commit),
            ),
            (
                "POST /reservations/{id}/release",
                id(s.reservation_to_release),
            ),
            (
                "POST /reservations/{id}/return",
                id(s.reservation_to_return),
            ),
        ],
        _ => vec![],
    }
}

fn promo() -> Vec<(&'static str, String)> {
    vec![("path.code", EXAMPLE_PROMO.to_owned())]
}

fn token(s: &Seeded) -> Vec<(&'static str, String)> {
    vec![("query.token", s.unsubscribe_token.clone())]
}

fn product(s: &Seeded) -> Vec<(&'static str, String)> {
    vec![("path.product_id", s.product.to_string())]
}

fn sku(sku: &str) -> Vec<(&'static str, String)> {
    vec![("path.sku", sku.to_owned())]
}

/// The services in the order they are run (catalog last: its run may
/// deactivate the product the order run puts in carts), and whether they
/// have operations only a service token may call (run once more as one).
fn targets(p: &Platform) -> Vec<Target> {
    [
        ("registration", &p._registration.address, false),
        ("order", &p.order.address, false),
        ("inventory", &p.inventory.address, true),
        ("campaign", &p.campaign.address, true),
        ("catalog", &p.catalog.address, false),
    ]
    .into_iter()
    .map(|(name, address, has_service_operations)| Target {
        name,
        address: address.clone(),
        has_service_operations,
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[allow(clippy::print_stderr)] // each run's verdict and the 2xx counts, in the test's output
async fn every_operation_of_every_service_survives_schemathesis_and_answers_2xx() {
    let bin = run::schemathesis_bin();
    let p = spawn_platform().await;
    let seeded = seed(&p).await;
    let admin = p.tokens.admin();
    let service = p.tokens.service("order-service");

    let mut problems = String::new();
    for target in targets(&p) {
        let operations = target.operations(&p.client).await;
        let before = two_xx_counts(&p.client, &target).await;
        let customer = match target.name {
            "registration" => &seeded.registered_token,
            _ => &seeded.customer.token,
        };
        let config = run::config(&overrides(target.name, &seeded));
        let mut roles = vec![("admin", &admin), ("customer", customer)];
        if target.has_service_operations {
            roles.push(("service", &service));
        }
        for (role, token) in roles {
            let outcome = Run {
                bin: &bin,
                target: &target,
                role,
                token,
                config: &config,
            }
            .execute()
            .await;
            eprintln!("{}", outcome.summary);
            if !outcome.passed {
                let _ = writeln!(problems, "{}\n{}", outcome.summary, outcome.output);
            }
        }
        let after = two_xx_counts(&p.client, &target).await;
        let answered = |op: &Operation| {
            after.get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0)
        };
        let counts: Vec<String> = operations
            .iter()
            .map(|op| format!("{} {}: {}", op.0, op.1, answered(op)))
            .collect();
        let without_2xx: Vec<&Operation> = operations
            .iter()
            .filter(|op| answered(op) == 0 && !only_redirects(op))
            .collect();
        eprintln!(
            "{}: {} of {} operations answered 2xx ({})",
            target.name,
            operations.len() - without_2xx.len(),
            operations.len(),
            counts.join(", ")
        );
        if !without_2xx.is_empty() {
            let _ = writeln!(
                problems,
                "{}: no 2xx during the run for {without_2xx:?}",
                target.name
            );
        }
    }
    assert!(
        problems.is_empty(),
        "Schemathesis found problems:\n{problems}"
    );
}

/// Operations whose only success is a redirect (documented as such): the old
/// unsubscribe link of campaign-service answers 308 to its page.
fn only_redirects(op: &Operation) -> bool {
    op.0 == "GET" && op.1 == "/unsubscribe"
}
