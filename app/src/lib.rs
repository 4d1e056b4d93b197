//! The Iterochat dashboard: Leptos pages rendered on the server and hydrated in the browser.
//!
//! Every page works before (and without) hydration: routes render with `SsrMode::Async`, so the
//! HTML is complete, and every form is an `ActionForm` posting to a server fn, which redirects
//! back (with the error in the URL on failure) when JavaScript is off.

pub mod components;
pub mod dto;
pub mod error;
pub mod pages;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod session_cookie;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::pages::{
    AcceptInvitePage, AlertsPage, ConversationPane, DashboardPage, DocumentEditorPage, FeedbackPage,
    FeedbackProjectPage, ForgotPasswordPage, HomePage, InboxPage, InstallPage, KnowledgePage, LoginPage,
    NoConversation, NotFound, PrivacyPage, ResetPasswordPage, SettingsPage, SignupPage, TeamPage, UsagePage,
};

/// The HTML document around [`App`]; the server renders it for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The router with every dashboard page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::provide_data_epoch();
    view! {
        <Stylesheet id="leptos" href="/pkg/iterochat.css" />
        <Title text="Iterochat" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async />
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/reset-password/:token") view=ResetPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard/team") view=TeamPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard/alerts") view=AlertsPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard/settings") view=SettingsPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard/privacy") view=PrivacyPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard/install") view=InstallPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard/usage") view=UsagePage ssr=SsrMode::Async />
                <ParentRoute path=path!("/dashboard/conversations") view=InboxPage ssr=SsrMode::Async>
                    <Route path=path!("") view=NoConversation ssr=SsrMode::Async />
                    <Route path=path!(":id") view=ConversationPane ssr=SsrMode::Async />
                </ParentRoute>
                <Route path=path!("/dashboard/feedback") view=FeedbackPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard/feedback/:project_id") view=FeedbackProjectPage ssr=SsrMode::Async />
                <Route path=path!("/dashboard/knowledge") view=KnowledgePage ssr=SsrMode::Async />
                <Route path=path!("/dashboard/knowledge/:id") view=DocumentEditorPage ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view=AcceptInvitePage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
