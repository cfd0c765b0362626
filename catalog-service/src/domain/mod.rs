//! Types that can only hold valid values.

pub mod category;
pub mod product;
mod sku;

pub use category::{CategoryRequest, NewCategory};
pub use product::{NewProduct, ProductFields, ProductPatch, ProductRequest};
pub use sku::Sku;
