//! The feedback SDK's dashboard: projects, events, keys and the feedback itself.

mod add_feedback_event;
mod create_feedback_project;
mod delete_feedback_project;
mod get_feedback_project;
mod get_feedback_projects;
mod rotate_feedback_key;

pub use add_feedback_event::*;
pub use create_feedback_project::*;
pub use delete_feedback_project::*;
pub use get_feedback_project::*;
pub use get_feedback_projects::*;
pub use rotate_feedback_key::*;
