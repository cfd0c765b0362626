//! The welcome email, with the campaigns running now for a customer who opted
//! in to marketing.

use time::OffsetDateTime;

use super::layout::{append, greeting, Body, RenderedEmail, SHOP};
use super::text::{format_date, format_money, single_line};

/// A campaign running now, as the welcome email lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignOffer {
    pub name: String,
    pub description: String,
    pub offer: Offer,
    pub promo_code: Option<String>,
    pub ends_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    Percent {
        percent_off: i32,
    },
    Fixed {
        amount_off_cents: i64,
        currency: String,
    },
}

impl Offer {
    /// "20% off", "$5.00 off".
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Percent { percent_off } => format!("{percent_off}% off"),
            Self::Fixed {
                amount_off_cents,
                currency,
            } => format!("{} off", format_money(*amount_off_cents, currency)),
        }
    }
}

/// The welcome email; lists `campaigns` when there are any (the caller passes
/// none to a customer who did not opt in to marketing).
#[must_use]
pub fn welcome(
    first_name: &str,
    campaigns: &[CampaignOffer],
    unsubscribe_url: Option<&str>,
) -> RenderedEmail {
    let name = single_line(first_name);
    let subject = if name.is_empty() {
        format!("Welcome to {SHOP}")
    } else {
        format!("Welcome to {SHOP}, {name}")
    };
    let mut body = Body::default();
    body.paragraph(&greeting(&name));
    body.paragraph(&format!("Thank you for creating your {SHOP} account."));
    if !campaigns.is_empty() {
        body.paragraph("Offers running now:");
        body.list(campaigns.iter().map(describe_campaign));
    }
    if let Some(url) = unsubscribe_url {
        body.link(
            "You receive our offers because you opted in to marketing emails.",
            "Unsubscribe",
            url,
        );
    }
    body.finish(&subject)
}

fn describe_campaign(campaign: &CampaignOffer) -> String {
    let mut line = format!(
        "{}: {}",
        single_line(&campaign.name),
        campaign.offer.describe()
    );
    if let Some(code) = &campaign.promo_code {
        append(&mut line, &[" with code ", &single_line(code)]);
    }
    append(
        &mut line,
        &[", until ", &format_date(campaign.ends_at), "."],
    );
    let description = single_line(&campaign.description);
    if !description.is_empty() {
        line.push(' ');
        line.push_str(&description);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emails::templates::fixtures::{both_parts, campaign};

    #[test]
    fn welcome_greets_the_customer_by_first_name() {
        let email = welcome("Ada", &[], None);

        assert_eq!(email.subject, "Welcome to Storefront, Ada");
        assert!(email.text.starts_with("Hi Ada,"));
        assert!(email.html.contains("<p>Hi Ada,</p>"));
    }

    #[test]
    fn welcome_with_campaigns_lists_each_offer_with_its_code_and_end_date() {
        let campaigns = [
            campaign(
                "Winter sale",
                Offer::Percent { percent_off: 20 },
                Some("WINTER20"),
            ),
            campaign(
                "Welcome gift",
                Offer::Fixed {
                    amount_off_cents: 500,
                    currency: "USD".to_owned(),
                },
                None,
            ),
        ];

        let email = welcome("Ada", &campaigns, None);

        for part in both_parts(&email) {
            assert!(part.contains("Offers running now"), "{part}");
            assert!(
                part.contains("Winter sale: 20% off with code WINTER20, until 31 December 2026."),
                "{part}"
            );
            assert!(
                part.contains("Welcome gift: $5.00 off, until 31 December 2026."),
                "{part}"
            );
            assert!(part.contains("Warm things for cold days."), "{part}");
        }
        assert_eq!(email.html.matches("<li>").count(), 2);
    }

    #[test]
    fn welcome_without_campaigns_lists_no_offers() {
        let email = welcome("Ada", &[], None);

        for part in both_parts(&email) {
            assert!(!part.contains("Offers running now"), "{part}");
            assert!(!part.contains(" off"), "{part}");
        }
        assert!(!email.html.contains("<li>"));
    }

    #[test]
    fn unsubscribe_link_is_present_only_when_given() {
        let url = "https://shop.test/unsubscribe?token=abc&x=1";

        let with = welcome("Ada", &[], Some(url));
        let without = welcome("Ada", &[], None);

        assert!(with.text.contains(&format!("Unsubscribe: {url}")));
        assert!(with.html.contains(
            "<a href=\"https://shop.test/unsubscribe?token=abc&amp;x=1\">Unsubscribe</a>"
        ));
        for part in both_parts(&without) {
            assert!(!part.to_lowercase().contains("unsubscribe"), "{part}");
        }
    }

    #[test]
    fn a_blank_name_gets_a_generic_greeting() {
        let email = welcome(" \r\n ", &[], None);

        assert_eq!(email.subject, "Welcome to Storefront");
        assert!(email.text.starts_with("Hello,"));
    }
}
