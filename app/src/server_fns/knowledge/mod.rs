//! The knowledge-base pages: documents, Markdown preview and the "test a question" box.

mod delete_document;
mod get_document;
mod list_documents;
mod preview_markdown;
mod save_document;
mod test_question;

pub use delete_document::*;
pub use get_document::*;
pub use list_documents::*;
pub use preview_markdown::*;
pub use save_document::*;
pub use test_question::*;
