//! `infra/services.yaml`, read by platform (the services take their names,
//! ports and databases from it) and re-exported here for the local tooling
//! and the deployment checks.

pub use platform::manifest::*;
