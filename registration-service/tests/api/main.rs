mod bad_input;
mod contract;
mod faults;
mod health;
mod helpers;
mod register;
mod token;
mod verification;
