//! Every outgoing email: composed from events, logged, sent through SES v2.

pub mod handler;
pub mod sender;
pub mod templates;
pub mod unsubscribe;
