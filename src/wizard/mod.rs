//! `aigate setup`: one flow, two front ends. Answers come from flags or prompts into one
//! [`Plan`] ([`gather`]); one step carries it out ([`apply`]); then the gateway is exercised
//! the way OpenCode will use it ([`finish`]).

pub mod apply;
pub mod clients;
mod daily;
pub mod finish;
pub mod gather;
pub mod permissions;
pub mod plan;
pub mod policies;

pub use plan::Plan;
