mod claims;
mod contract;
mod events;
mod faults;
mod helpers;
mod reservations;
mod stock;
