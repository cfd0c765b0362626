//! Background work: the saga resumer and the Idempotency-Key clean-up (the
//! outbox relay comes from `platform`).

pub mod resumer;
