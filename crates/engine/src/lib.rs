//! # quarry-engine
//!
//! A Rust re-implementation of the engine of Python's *instructor*: ask a language model for
//! JSON that matches a schema, validate it, re-ask with the errors until it is right, and
//! report every step as a typed event.
//!
//! ```no_run
//! # async fn demo() -> Result<(), quarry_engine::Error> {
//! use quarry_engine::{Client, ExtractRequest};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Person { name: String, age: u32 }
//!
//! let client = Client::new();
//! let person: Person = client
//!     .extract(&ExtractRequest::new("openai/gpt-4o-mini")
//!         .user("Extract: {{ text }}")
//!         .var("text", "Ada Lovelace, 36"))
//!     .await?;
//! # Ok(()) }
//! ```

pub mod attachment;
pub mod dialect;
pub mod discover;
pub mod error;
pub mod events;
pub mod extract;
pub mod fetch;
pub mod framing;
pub mod hooks;
pub mod limits;
pub mod message;
pub mod mode;
pub mod partial;
pub mod preview;
pub mod provider;
pub mod request;
pub mod retry;
pub mod schema;
pub mod secret;
pub mod sse;
pub mod stream;
pub mod template;
pub mod usage;
pub mod validate;

mod client;
mod run;
mod tls;
pub mod transport;

pub use client::{
    CallOptions, Canceller, Client, ClientBuilder, InvalidItem, IterItem, PartialItem, Resolved,
    RunStream,
};
pub use error::{
    BrokenStream, Error, ErrorInfo, ErrorKind, Exhausted, FailedAttempt, Setting, TooLarge,
};
pub use events::{
    AttemptInfo, EventObserver, EventRecord, RUN_EVENT_VERSION, RunEvent, StreamStats,
};
pub use hooks::{HookId, HookName, Hooks};
pub use message::{Message, Part, Reasoning, Role, ToolCall};
pub use mode::{Mode, ModeName};
pub use partial::{Change, FieldState, FieldStates, Path, Snapshot};
pub use request::{ExtractRequest, Sampling};
pub use retry::TransportRetry;
pub use run::Extraction;
pub use schema::{ResponseSchema, SchemaError, Shape};
pub use secret::{ApiKey, EnvKeys, KeySource, Redactor};
pub use stream::StreamKind;
pub use usage::Usage;
