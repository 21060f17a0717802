//! # quarry-workbench
//!
//! The one command surface of the workbench. The desktop shell (one Tauri `rpc` command) and
//! `quarry serve` (loopback HTTP/WebSocket) both deserialize a [`Command`], call
//! [`Workbench::handle`], and send back the JSON value or the [`CommandError`]
//! (`{code, message, details}`). Run events go to [`Host::emit`] under a stream id the caller
//! chose before starting the run, so no early event is lost. Nothing here knows about windows
//! or sockets, so every command is tested headless against a temporary database.

pub mod bindings;
mod command;
pub mod data;
mod error;
pub mod examples;
mod host;
pub mod live;
pub mod orchestrate;
mod profile_secrets;
pub mod project;

pub use command::{Command, Rpc, Workbench};
pub use error::CommandError;
pub use host::Host;
