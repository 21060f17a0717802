//! Quarry's schema design tools, shared by the CLI and the workbench: inferring, importing,
//! generating (through the engine, the only part that talks to a provider) and linting
//! schemas. No storage.

pub mod export;
pub mod generate;
pub mod import;
pub mod infer;
pub mod lint;
