//! The agent inbox: the list with stats, a conversation, and what agents do to it.

mod agent_typing;
mod claim_conversation;
mod get_conversation_view;
mod get_inbox;
mod merge_claimed_contact;
mod reopen_conversation;
mod reply_to_conversation;
mod resolve_conversation;
mod saved_replies;
mod tags;

pub use agent_typing::*;
pub use claim_conversation::*;
pub use get_conversation_view::*;
pub use get_inbox::*;
pub use merge_claimed_contact::*;
pub use reopen_conversation::*;
pub use reply_to_conversation::*;
pub use resolve_conversation::*;
pub use saved_replies::*;
pub use tags::*;
