//! Quarry's schema design tools, shared by the CLI and the workbench: no network, no storage.

pub mod infer;
