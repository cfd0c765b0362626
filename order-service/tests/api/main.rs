mod checkout;
mod contract;
mod faults;
mod flash_sale;
mod helpers;
mod idempotency;
mod lifecycle;
