mod checkout;
mod contract;
mod helpers;
