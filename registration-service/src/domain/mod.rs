//! Types that can only hold valid values.

mod email;
mod new_customer;
mod password;
mod text;

pub use email::Email;
pub use new_customer::{NewCustomer, RegisterRequest};
pub use password::Password;
pub use text::{OptionalText, PersonName};
