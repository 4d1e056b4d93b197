//! Widget sessions: the visitor token, the widget's settings, and the allowed-sites check.

use super::*;

impl Services {
    /// Opens (or resumes) the widget for `widget_key`: the visitor token (new if missing or not
    /// this organisation's), the widget's config and the open conversation's messages.
    ///
    /// `origin` is the page's `Origin` header: a site the organisation did not allow gets
    /// `Forbidden`, and no visitor is made.
    pub async fn widget_session(
        &self,
        widget_key: &str,
        visitor_token: Option<&str>,
        origin: Option<&str>,
        client: &VisitorClient,
    ) -> DomainResult<WidgetSession> {
        let browser = client.user_agent.as_deref().and_then(device::browser);
        let time_zone = client.time_zone.as_deref().and_then(device::time_zone);
        let org = self.widget_organization(widget_key, origin).await?;
        let existing = match visitor_token {
            Some(token) => {
                self.find_visitor(token).await?.filter(|v| v.organization_id == org.id).map(|v| (v, token.to_owned()))
            }
            None => None,
        };
        let (visitor, token) = match existing {
            Some((v, token)) => {
                // A returning visitor on another browser or in another zone: the inbox follows.
                let moved =
                    (browser.is_some() && browser != v.browser) || (time_zone.is_some() && time_zone != v.time_zone);
                if moved {
                    visitor::Entity::update_many()
                        .col_expr(
                            visitor::Column::Browser,
                            sea_orm::sea_query::Expr::value(browser.clone().or(v.browser.clone())),
                        )
                        .col_expr(
                            visitor::Column::TimeZone,
                            sea_orm::sea_query::Expr::value(time_zone.clone().or(v.time_zone.clone())),
                        )
                        .filter(visitor::Column::Id.eq(v.id))
                        .exec(&self.db)
                        .await?;
                }
                (v, token)
            }
            None => {
                let token = tokens::random_token();
                let now = Utc::now();
                let v = visitor::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    organization_id: Set(org.id),
                    token_hash: Set(tokens::hash_token(&token)),
                    contact_id: Set(None),
                    browser: Set(browser),
                    time_zone: Set(time_zone),
                    claimed_name: Set(None),
                    claimed_email: Set(None),
                    created_at: Set(now.into()),
                    last_seen_at: Set(now.into()),
                }
                .insert(&self.db)
                .await?;
                (v, token)
            }
        };
        let conversation =
            latest_conversation(&self.db, visitor.id).await?.filter(|c| c.status != ConversationStatus::Resolved);
        let messages = match &conversation {
            Some(c) => conversation_messages(&self.db, c.id, None).await?,
            None => Vec::new(),
        };
        Ok(WidgetSession {
            visitor_token: token,
            conversation_id: conversation.map(|c| c.id),
            config: widget_config(&org),
            messages,
        })
    }

    /// The visitor behind a widget token, asking from a page at `origin` (its `Origin` header):
    /// unknown tokens are `Unauthorized`, a site the organisation did not allow is `Forbidden`.
    pub async fn authenticate_widget_visitor(&self, token: &str, origin: Option<&str>) -> DomainResult<Visitor> {
        let visitor = self.authenticate_visitor(token).await?;
        self.check_widget_origin(visitor.organization_id, origin).await?;
        Ok(visitor)
    }

    /// The widget's settings before any visitor shows interest: what the loader needs to draw
    /// the launcher in the organisation's colour and place, and whether a proactive message
    /// needs the whole widget at once. Nothing about any visitor is made or read. Like a
    /// session, it refuses a site the organisation did not allow and marks the widget seen on
    /// an allowed one (the install checklist).
    pub async fn widget_look(&self, widget_key: &str, origin: Option<&str>) -> DomainResult<WidgetConfig> {
        Ok(widget_config(&self.widget_organization(widget_key, origin).await?))
    }

    /// The organisation behind a widget key, for a page on a site it allows; the first page
    /// view from a site in a while is recorded.
    async fn widget_organization(&self, widget_key: &str, origin: Option<&str>) -> DomainResult<Organization> {
        let org = organization::Entity::find()
            .filter(organization::Column::WidgetKey.eq(widget_key.trim()))
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("widget"))?;
        // Read off the row already loaded: a page view writes only when the record is stale.
        let seen_is_stale = origin.is_some_and(|o| crate::organizations::widget_seen_is_stale(&org, o));
        let org: Organization = org.into();
        if !org.settings.allows_origin(origin) {
            return Err(not_allowed_here(origin));
        }
        if let Some(origin) = origin.filter(|_| seen_is_stale) {
            crate::organizations::note_widget_seen(&self.db, org.id, origin).await?;
        }
        Ok(org)
    }

    /// Refuses a browser page on a site `org_id` did not allow its widget on (see
    /// [`crate::organizations::OrgSettings::allows_origin`]); without an `Origin` nothing is read.
    pub(super) async fn check_widget_origin(&self, org_id: Uuid, origin: Option<&str>) -> DomainResult<()> {
        if origin.is_none() {
            return Ok(());
        }
        let org =
            organization::Entity::find_by_id(org_id).one(&self.db).await?.ok_or(DomainError::NotFound("widget"))?;
        if crate::organizations::settings_of(&org).allows_origin(origin) {
            Ok(())
        } else {
            Err(not_allowed_here(origin))
        }
    }

    /// The visitor behind a widget token; unknown tokens are `Unauthorized`.
    pub async fn authenticate_visitor(&self, token: &str) -> DomainResult<Visitor> {
        let v = self
            .find_visitor(token)
            .await?
            .ok_or(DomainError::Unauthorized("unknown visitor token; open a widget session first"))?;
        self.visitor_from_row(v).await
    }

    /// A visitor as the conversation engine sees them, from their stored row.
    pub(super) async fn visitor_from_row(&self, v: visitor::Model) -> DomainResult<Visitor> {
        // Their contact's details; else what they claimed (unverified, labelled as theirs where
        // it is shown).
        let (name, email) = match self.contact_of(v.contact_id).await? {
            (None, None) => (v.claimed_name, v.claimed_email),
            known => known,
        };
        Ok(Visitor { id: v.id, organization_id: v.organization_id, contact_id: v.contact_id, name, email })
    }

    async fn find_visitor(&self, token: &str) -> DomainResult<Option<visitor::Model>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        Ok(visitor::Entity::find()
            .filter(visitor::Column::TokenHash.eq(tokens::hash_token(token)))
            .one(&self.db)
            .await?)
    }

    pub(super) async fn visitor_organization(&self, visitor: &Visitor) -> DomainResult<Organization> {
        Ok(organization::Entity::find_by_id(visitor.organization_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("widget"))?
            .into())
    }
}

/// The widget's settings as the widget needs them.
pub fn widget_config(org: &Organization) -> WidgetConfig {
    let s = &org.settings;
    WidgetConfig {
        company_name: if s.company_name.is_empty() { org.name.clone() } else { s.company_name.clone() },
        primary_color: s.primary_color.clone(),
        position: s.position.clone(),
        require_contact: s.require_contact,
        ask_contact_at_handoff: s.ask_contact_at_handoff && !s.ai_only_mode,
        greeting: s.greeting.clone(),
        // In AI-only mode no person can take over: the widget offers no such button.
        show_escalation_cta: s.show_escalation_cta && !s.ai_only_mode,
        positive_feedback_label: s.positive_feedback_label.clone(),
        request_help_label: s.request_help_label.clone(),
        proactive_message: s.proactive_message.clone(),
        proactive_trigger: s.proactive_trigger.clone(),
        proactive_after: s.proactive_after,
        office_hours: s.office_hours.availability(chrono::Utc::now()).map(|a| match a {
            crate::office_hours::Availability::Open => TeamHours { open: true, back_at: None },
            crate::office_hours::Availability::Away { back_at } => TeamHours { open: false, back_at },
        }),
    }
}

/// The refusal of a widget request from a site the organisation did not allow.
fn not_allowed_here(origin: Option<&str>) -> DomainError {
    DomainError::forbidden(format!(
        "this widget is not enabled on {}; its owner can add the site under Settings → Widget → Allowed sites",
        origin.unwrap_or("this site")
    ))
}
