//! The order's lifecycle: one type per state column of `orders`
//! (docs/architecture.md, "Checkout saga"). The text each variant is stored
//! and served as is its name in lower case; the migration's CHECK lists
//! hold the same words, which a test compares.

/// An enum stored in a `text` column and served as a JSON string.
macro_rules! state_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$doc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, sqlx::Type, utoipa::ToSchema,
        )]
        #[serde(rename_all = "lowercase")]
        #[sqlx(type_name = "text", rename_all = "lowercase")]
        pub enum $name {
            $($(#[$doc])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

state_enum! {
    /// Where the order stands for its customer.
    OrderStatus {
        /// The saga is still placing it.
        Pending = "pending",
        Confirmed = "confirmed",
        /// Refused on the way; what was done is undone.
        Failed = "failed",
        /// Cancelled after confirmation: refunded, stock and promo code back.
        Cancelled = "cancelled",
    }
}

state_enum! {
    /// The saga step the order's driver runs next.
    Step {
        Reserve = "reserve",
        Redeem = "redeem",
        Authorize = "authorize",
        Commit = "commit",
        Capture = "capture",
        Ship = "ship",
        /// Undoing a refused order; it ends `failed`.
        Compensate = "compensate",
        /// Undoing a confirmed order; it ends `cancelled`.
        Cancel = "cancel",
        Done = "done",
    }
}

impl Step {
    /// A step that places the order; a refusal there starts compensation.
    pub fn is_forward(self) -> bool {
        !matches!(self, Self::Compensate | Self::Cancel | Self::Done)
    }

    /// A step that undoes what the forward steps did.
    pub fn is_undo(self) -> bool {
        matches!(self, Self::Compensate | Self::Cancel)
    }
}

state_enum! {
    /// What the order was placed from.
    Source {
        Cart = "cart",
        /// A flash-sale claim, checked out by its reservation id.
        Reservation = "reservation",
    }
}

state_enum! {
    /// The payment, as the gateway last confirmed it.
    PaymentStatus {
        None = "none",
        Authorized = "authorized",
        Captured = "captured",
        Voided = "voided",
        Refunded = "refunded",
    }
}

state_enum! {
    /// The order's stock: a hold it took (cart) or brought (a flash-sale claim).
    StockStatus {
        None = "none",
        Held = "held",
        Committed = "committed",
        Released = "released",
        Returned = "returned",
        /// A flash-sale claim found still held by compensation: it stays the
        /// customer's until it expires.
        Kept = "kept",
    }
}

state_enum! {
    /// Where a confirmed order's parcel is.
    ShipmentStatus {
        Pending = "pending",
        Shipped = "shipped",
        Delivered = "delivered",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serves_as_its_text<T: serde::Serialize + Copy>(all: &[T], text: fn(T) -> &'static str) {
        for &state in all {
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::Value::from(text(state))
            );
        }
    }

    #[test]
    fn every_state_serialises_as_the_text_it_is_stored_as() {
        serves_as_its_text(OrderStatus::ALL, OrderStatus::as_str);
        serves_as_its_text(Step::ALL, Step::as_str);
        serves_as_its_text(Source::ALL, Source::as_str);
        serves_as_its_text(PaymentStatus::ALL, PaymentStatus::as_str);
        serves_as_its_text(StockStatus::ALL, StockStatus::as_str);
        serves_as_its_text(ShipmentStatus::ALL, ShipmentStatus::as_str);
    }

    #[test]
    fn only_compensate_cancel_and_done_are_not_forward_steps() {
        let forward: Vec<Step> = Step::ALL
            .iter()
            .copied()
            .filter(|s| s.is_forward())
            .collect();
        assert_eq!(
            forward,
            [
                Step::Reserve,
                Step::Redeem,
                Step::Authorize,
                Step::Commit,
                Step::Capture,
                Step::Ship
            ]
        );
        assert!(Step::Cancel.is_undo() && Step::Compensate.is_undo());
        assert!(!Step::Done.is_undo());
    }
}
