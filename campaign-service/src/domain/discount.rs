use super::Offer;

/// The discount an offer gives on `subtotal_cents`: never more than the
/// subtotal, never negative; percentages round down.
pub fn discount_cents(offer: &Offer, subtotal_cents: i64) -> i64 {
    let subtotal = subtotal_cents.max(0);
    let raw = match offer {
        Offer::Percent { percent_off } => {
            (i128::from(subtotal) * i128::from(*percent_off) / 100) as i64
        }
        Offer::Fixed { amount_off_cents } => *amount_off_cents,
    };
    raw.clamp(0, subtotal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn percent_offers_round_down_and_fixed_offers_stop_at_the_subtotal() {
        assert_eq!(
            discount_cents(&Offer::Percent { percent_off: 15 }, 999),
            149
        );
        assert_eq!(
            discount_cents(
                &Offer::Fixed {
                    amount_off_cents: 500
                },
                300
            ),
            300
        );
        assert_eq!(
            discount_cents(
                &Offer::Fixed {
                    amount_off_cents: 500
                },
                3000
            ),
            500
        );
    }

    proptest! {
        #[test]
        fn a_discount_is_between_zero_and_the_subtotal(
            subtotal in any::<i64>(), percent in 1i32..=100, amount in 1i64..i64::MAX
        ) {
            for offer in [Offer::Percent { percent_off: percent }, Offer::Fixed { amount_off_cents: amount }] {
                let d = discount_cents(&offer, subtotal);
                prop_assert!(d >= 0 && d <= subtotal.max(0));
            }
        }
    }
}
