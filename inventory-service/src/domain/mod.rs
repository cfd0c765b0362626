//! Types that can only hold valid values.

mod requests;
mod sku;

pub use requests::{
    AdjustmentRequest, FlashSaleRequest, NewFlashSale, NewReservation, ReservationItemRequest,
    ReservationRequest, StockRequest,
};
pub use sku::{Quantity, Sku};
