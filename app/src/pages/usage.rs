use leptos::prelude::*;

use crate::components::{SignedIn, data_epoch};
use crate::dto::{SessionDto, UsageMonthDto, UsagePageDto};
use crate::error::AppError;
use crate::server_fns::privacy::get_usage_page;

/// `/dashboard/usage`: per month, conversations, visitor messages, AI answers, escalations, the
/// AI resolution rate and 👍/👎, as a chart and a table with a CSV download; and the knowledge
/// base's size. Owners and admins.
#[component]
pub fn UsagePage() -> impl IntoView {
    view! { <SignedIn next="/dashboard/usage".to_owned() inner=|s| view! { <Usage session=s /> }.into_any() /> }
}

#[component]
fn Usage(session: SessionDto) -> impl IntoView {
    let org_id = session.current.as_ref().map(|m| m.organization.id);
    let page = Resource::new_blocking(
        move || (org_id, data_epoch()),
        |(org_id, _)| async move {
            match org_id {
                Some(id) => get_usage_page(id).await,
                None => Err(AppError::NotFound("organization not found".into())),
            }
        },
    );
    view! {
        <main class="page usage">
            <Suspense>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <UsageView page /> }.into_any(),
                        Err(e) => crate::components::error_card("Usage", &e),
                    }
                })}
            </Suspense>
        </main>
    }
    .into_any()
}

/// "1 document", "3 documents".
fn plural(n: i64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// A chart label for `YYYY-MM`: the month's short name, with the year on January and on the
/// first bar ("Dec 25", "Jan 26", "Feb").
fn month_label(month: &str, first: bool) -> String {
    const NAMES: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (year, mm) = month.split_once('-').unwrap_or((month, "01"));
    let index = mm.parse::<usize>().unwrap_or(1).clamp(1, 12) - 1;
    let short_year = year.get(2..).unwrap_or(year);
    if first || index == 0 { format!("{} {short_year}", NAMES[index]) } else { NAMES[index].to_owned() }
}

/// A share as a whole percentage, or "–" without a base.
fn percent(part: i64, whole: i64) -> String {
    if whole == 0 { "–".into() } else { format!("{:.0}%", part as f64 * 100.0 / whole as f64) }
}

#[component]
fn UsageView(page: UsagePageDto) -> impl IntoView {
    let csv = format!("/api/v1/orgs/{}/usage.csv?months=12", page.organization.id);
    let months = page.months.clone();
    view! {
        <section class="card">
            <h1>"Usage for " {page.organization.name.clone()}</h1>
            <p class="muted">
                "Calendar months in UTC. \"Resolved by the AI\" counts conversations the AI answered that never went to a person; "
                "model calls are those made for visitors and the knowledge base (the local model's too). "
                "Knowledge base now: " {plural(page.documents, "document")} ", " {plural(page.chunks, "passage")} "."
            </p>
            <Chart months=months.clone() />
            <table class="usage">
                <thead>
                    <tr>
                        <th>"Month"</th>
                        <th>"Conversations"</th>
                        <th>"Visitor messages"</th>
                        <th>"AI answers"</th>
                        <th>"Escalations"</th>
                        <th>"Resolved by the AI"</th>
                        <th>"Helpful"</th>
                        <th>"Not helpful"</th>
                        <th>"Chat-model calls"</th>
                        <th>"Embedding calls (texts)"</th>
                    </tr>
                </thead>
                <tbody>
                    {months
                        .into_iter()
                        .map(|m| {
                            view! {
                                <tr>
                                    <td>{m.month.clone()}</td>
                                    <td>{m.conversations}</td>
                                    <td>{m.visitor_messages}</td>
                                    <td>{m.ai_answers}</td>
                                    <td>{m.escalations}</td>
                                    <td>
                                        {m.ai_resolved}
                                        <span class="muted">" (" {percent(m.ai_resolved, m.conversations)} ")"</span>
                                    </td>
                                    <td>{m.helpful}</td>
                                    <td>{m.not_helpful}</td>
                                    <td>{m.llm_calls}</td>
                                    <td>
                                        {m.embedding_calls} <span class="muted">" (" {m.embedding_inputs} ")"</span>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <p>
                <a class="export" href=csv download="usage.csv">
                    "Download CSV"
                </a>
            </p>
        </section>
    }
    .into_any()
}

/// Conversations per month as bars, the AI-resolved share darker, oldest on the left, with a
/// labelled axis.
#[component]
fn Chart(months: Vec<UsageMonthDto>) -> impl IntoView {
    const BAR: f64 = 40.0;
    const GAP: f64 = 12.0;
    const HEIGHT: f64 = 120.0;
    const LEFT: f64 = 36.0;
    let peak = months.iter().map(|m| m.conversations).max().unwrap_or(0).max(1);
    let width = LEFT + months.len() as f64 * (BAR + GAP);
    let scale = |n: i64| n as f64 / peak as f64 * HEIGHT;
    let bars = months
        .iter()
        .rev()
        .enumerate()
        .map(|(i, m)| {
            let x = LEFT + i as f64 * (BAR + GAP);
            let (total, ai) = (scale(m.conversations), scale(m.ai_resolved));
            let title = format!("{}: {} conversations, {} resolved by the AI", m.month, m.conversations, m.ai_resolved);
            view! {
                <g>
                    <title>{title}</title>
                    <rect
                        class="total"
                        x=x.to_string()
                        y=(10.0 + HEIGHT - total).to_string()
                        width=BAR.to_string()
                        height=total.to_string()
                    ></rect>
                    <rect
                        class="ai"
                        x=x.to_string()
                        y=(10.0 + HEIGHT - ai).to_string()
                        width=BAR.to_string()
                        height=ai.to_string()
                    ></rect>
                    <text x=(x + BAR / 2.0).to_string() y=(HEIGHT + 26.0).to_string() text-anchor="middle">
                        {month_label(&m.month, i == 0)}
                    </text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg
            class="usage-chart"
            viewBox=format!("0 0 {width} {}", HEIGHT + 32.0)
            role="img"
            aria-label="Conversations per month, and how many the AI resolved"
        >
            <line x1=LEFT.to_string() y1="10" x2=LEFT.to_string() y2=(HEIGHT + 10.0).to_string() class="axis"></line>
            <line
                x1=LEFT.to_string()
                y1=(HEIGHT + 10.0).to_string()
                x2=width.to_string()
                y2=(HEIGHT + 10.0).to_string()
                class="axis"
            ></line>
            <text x=(LEFT - 4.0).to_string() y="16" text-anchor="end">
                {peak}
            </text>
            <text x=(LEFT - 4.0).to_string() y=(HEIGHT + 10.0).to_string() text-anchor="end">
                "0"
            </text>
            {bars}
        </svg>
        <p class="legend muted">
            <span class="swatch total"></span>
            " Conversations "
            <span class="swatch ai"></span>
            " Resolved by the AI"
        </p>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_as_names_with_the_year_where_it_changes() {
        assert_eq!(month_label("2026-12", true), "Dec 26");
        assert_eq!(month_label("2027-01", false), "Jan 27");
        assert_eq!(month_label("2026-03", false), "Mar");
        assert_eq!(plural(1, "document"), "1 document");
        assert_eq!(plural(0, "passage"), "0 passages");
    }
}
