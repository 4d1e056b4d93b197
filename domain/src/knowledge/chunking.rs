//! Structure-aware chunking: a document becomes passages that each keep their heading path and
//! never cut a unit of meaning. Units are prose sentences, list items, table rows and record
//! lines ("Battery: 10 hours"); each unit is one line of a passage's text, so [`sentences`]
//! gives them back whole.
//!
//! - A **table row** becomes one self-contained line, its cells labelled with the header
//!   ("Country: Spain · Standard: 3–5 days"), so a row means the same thing in any passage.
//! - A **record** (a short title line such as "Summit 2" or "**Summit 2**" followed by
//!   "Key: value" lines or list items) stays in one passage; if it is longer than a passage,
//!   its title line is repeated at the start of the next one, so no line loses its subject.
//! - Only prose overlaps: the last *sentence* of a passage starts the next passage of the same
//!   section; a list item, row or record line never does (one product's price line must not
//!   open a passage about the next product).
//!
//! The size was chosen by measurement (`make bench`; table in the README): on the test corpus
//! merged into one text, the right topic ranked first for 92% of reworded questions with
//! 60-word passages, 83% with 120 and 58% with 400, as bigger passages mix topics. 60 words keep
//! two to four sentences of context, well under the embedding model's 256-token window.

/// Bumped whenever chunking (or what is embedded per sentence) changes meaning: documents
/// indexed by an older version are re-indexed by the ingestion worker.
pub const VERSION: u32 = 3;

/// Tunables for [`chunk`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkConfig {
    /// A passage grows unit by unit until the next one would pass this many words.
    pub max_words: usize,
    /// Prose sentences repeated at the start of the next passage of the same section.
    pub overlap_sentences: usize,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        Self { max_words: 60, overlap_sentences: 1 }
    }
}

/// One passage: the heading path it sits under (`"Billing › Refunds"`, empty before any
/// heading) and its text, one unit per line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub heading: String,
    pub text: String,
}

/// What a unit is; decides overlap and grouping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sentence,
    /// A list item, table row or record line.
    Line,
    /// The title line of a record: repeated when its record spills into the next passage.
    Title,
}

#[derive(Clone, Debug)]
struct Unit {
    kind: Kind,
    text: String,
    /// Units with the same group number (a title and its lines) stay together when they fit.
    group: Option<usize>,
}

/// Splits Markdown or plain text into passages.
pub fn chunk(content: &str, config: ChunkConfig) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut section: Vec<String> = Vec::new();
    let mut in_code = false;
    for line in content.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_code = !in_code;
            continue;
        }
        if !in_code && let Some((level, title)) = heading(trimmed) {
            flush(&mut chunks, &path, &mut section, config);
            path.retain(|(l, _)| *l < level);
            path.push((level, title));
            continue;
        }
        section.push(line.to_owned());
    }
    flush(&mut chunks, &path, &mut section, config);
    chunks
}

/// `## Title` → `(2, "Title")`.
fn heading(line: &str) -> Option<(usize, String)> {
    let level = line.chars().take_while(|c| *c == '#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &line[level..];
    if !rest.starts_with(' ') {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then(|| (level, strip_emphasis(title)))
}

fn flush(chunks: &mut Vec<Chunk>, path: &[(usize, String)], section: &mut Vec<String>, config: ChunkConfig) {
    let heading = path.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" › ");
    let units = section_units(section);
    section.clear();
    let words_of = |u: &Unit| u.text.split_whitespace().count();
    let mut current: Vec<Unit> = Vec::new();
    let mut words = 0;
    let mut fresh = 0; // units in `current` not already emitted
    for (i, unit) in units.iter().enumerate() {
        // A record that starts here is kept whole when it fits in an empty passage.
        let needed = match unit.group {
            Some(g) if current.last().is_none_or(|u| u.group != Some(g)) => {
                units[i..].iter().take_while(|u| u.group == Some(g)).map(words_of).sum()
            }
            _ => words_of(unit),
        };
        if fresh > 0 && words + needed > config.max_words {
            chunks.push(Chunk { heading: heading.clone(), text: join(&current) });
            let last = current.last().cloned();
            current.clear();
            match last {
                // Prose overlaps; a record spilling over repeats its title.
                Some(u) if u.kind == Kind::Sentence && config.overlap_sentences > 0 => current.push(u),
                Some(u) if u.group.is_some() && u.group == unit.group => {
                    if let Some(title) = units[..i].iter().rev().find(|t| t.group == u.group && t.kind == Kind::Title) {
                        current.push(title.clone());
                    }
                }
                _ => {}
            }
            words = current.iter().map(words_of).sum();
            fresh = 0;
        }
        words += words_of(unit);
        fresh += 1;
        current.push(unit.clone());
    }
    if fresh > 0 {
        chunks.push(Chunk { heading, text: join(&current) });
    }
}

fn join(units: &[Unit]) -> String {
    units.iter().map(|u| u.text.as_str()).collect::<Vec<_>>().join("\n")
}

/// A list item (`- `, `* `, `+ `, `1. `, `1) `) without its marker.
fn list_item(t: &str) -> Option<&str> {
    if let Some(rest) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")).or_else(|| t.strip_prefix("+ ")) {
        return Some(rest.trim());
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && (t[digits..].starts_with(". ") || t[digits..].starts_with(") ")) {
        return Some(t[digits + 2..].trim());
    }
    None
}

/// `Key: value` with a short key: one fact of a record.
fn record_line(t: &str) -> bool {
    match t.split_once(':') {
        Some((key, value)) => {
            let words = key.split_whitespace().count();
            (1..=5).contains(&words)
                && !key.contains("http")
                && !value.trim().is_empty()
                && !value.starts_with("//")
                && key.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '*')
        }
        None => false,
    }
}

/// A short line that names what the following lines describe ("Summit 2", "**Opening hours**").
fn title_like(t: &str) -> bool {
    let words = t.split_whitespace().count();
    (1..=8).contains(&words) && !t.ends_with(['.', '!', '?', ';', ',']) && !record_line(t)
}

fn strip_emphasis(t: &str) -> String {
    t.replace("**", "").replace("__", "").trim().trim_end_matches(':').trim().to_owned()
}

fn table_cells(t: &str) -> Vec<String> {
    t.trim().trim_matches('|').split('|').map(|c| strip_emphasis(c.trim())).collect()
}

fn separator_row(t: &str) -> bool {
    t.starts_with('|') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// The units of a section, in order.
fn section_units(lines: &[String]) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    let mut group = 0usize;
    let mut block: Vec<&str> = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let push_block = |block: &mut Vec<&str>, out: &mut Vec<Unit>, group: &mut usize| {
        block_units(block, out, group);
        block.clear();
    };
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if t.starts_with('|') {
            push_block(&mut block, &mut out, &mut group);
            if separator_row(t) {
                i += 1;
                continue;
            }
            let cells = table_cells(t);
            let next_is_separator = lines.get(i + 1).is_some_and(|n| separator_row(n.trim()));
            if next_is_separator {
                header = Some(cells);
            } else {
                let row: Vec<String> = match &header {
                    Some(h) => cells
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| !c.is_empty())
                        .map(|(j, c)| match h.get(j).filter(|h| !h.is_empty()) {
                            Some(h) if j > 0 || cells.len() == 1 => format!("{h}: {c}"),
                            _ => c.clone(),
                        })
                        .collect(),
                    None => cells.into_iter().filter(|c| !c.is_empty()).collect(),
                };
                if !row.is_empty() {
                    out.push(Unit { kind: Kind::Line, text: row.join(" · "), group: None });
                }
            }
            i += 1;
            continue;
        }
        header = None;
        if t.is_empty() {
            push_block(&mut block, &mut out, &mut group);
        } else {
            block.push(t);
        }
        i += 1;
    }
    push_block(&mut block, &mut out, &mut group);
    out
}

/// A block of consecutive non-empty lines: prose (joined, split into sentences) unless it is
/// made of list items, record lines or short lines, which stay one unit each. A title-like
/// line followed by such lines opens a record group.
fn block_units(block: &[&str], out: &mut Vec<Unit>, group: &mut usize) {
    if block.is_empty() {
        return;
    }
    // List items absorb their indented or wrapped continuation lines.
    let mut items: Vec<(bool, String)> = Vec::new(); // (is list item, text)
    for line in block {
        match list_item(line) {
            Some(item) => items.push((true, strip_emphasis_inline(item))),
            None => match items.last_mut() {
                Some((true, text))
                    if line.starts_with(char::is_lowercase) || (!record_line(line) && !title_like(line)) =>
                {
                    text.push(' ');
                    text.push_str(line);
                }
                _ => items.push((false, strip_emphasis_inline(line))),
            },
        }
    }
    let structured = items.iter().any(|(item, t)| *item || record_line(t))
        || (items.len() >= 2 && items.iter().all(|(_, t)| !t.ends_with(['.', '!', '?'])));
    if !structured {
        let paragraph = items.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" ");
        out.extend(sentences(&paragraph).into_iter().map(|s| Unit { kind: Kind::Sentence, text: s, group: None }));
        return;
    }
    let mut open: Option<usize> = None;
    for (j, (is_item, text)) in items.iter().enumerate() {
        let next_is_fact = items.get(j + 1).is_some_and(|(item, t)| *item || record_line(t));
        if !is_item && title_like(text) && next_is_fact {
            *group += 1;
            open = Some(*group);
            out.push(Unit { kind: Kind::Title, text: strip_emphasis(text), group: open });
        } else if *is_item || record_line(text) {
            out.push(Unit { kind: Kind::Line, text: text.clone(), group: open });
        } else {
            open = None;
            let kind = if text.ends_with(['.', '!', '?']) { Kind::Sentence } else { Kind::Line };
            out.extend(sentences(text).into_iter().map(|s| Unit { kind, text: s, group: None }));
        }
    }
}

/// Each unit prefixed with its subject, for embedding and matching: the title line of the
/// record it belongs to, or else the last heading, or else the document title
/// ("Summit 2 — Price: 249 euros"). A unit that already names its subject is left as it is.
pub fn with_subjects(title: &str, heading: &str, units: &[String]) -> Vec<String> {
    let section = heading.rsplit(" › ").next().filter(|h| !h.is_empty()).unwrap_or(title);
    let mut record: Option<&str> = None;
    units
        .iter()
        .enumerate()
        .map(|(i, unit)| {
            let next_is_fact = units.get(i + 1).is_some_and(|n| record_line(n));
            if title_like(unit) && next_is_fact {
                record = Some(unit);
                return unit.clone();
            }
            if !record_line(unit) {
                record = None;
            }
            let subject = record.unwrap_or(section);
            if subject.is_empty() || unit.to_lowercase().contains(&subject.to_lowercase()) {
                unit.clone()
            } else {
                format!("{subject} — {unit}")
            }
        })
        .collect()
}

/// One unit an answer can quote, as [`answer_units`] gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerUnit {
    /// As written in the passage (for a cell: the row's key and that cell).
    pub text: String,
    /// With its subject in front, as embedded ("Plan comparison — Team · Storage: 100 GB").
    pub with_subject: String,
    /// For a cell of a wide table row: the position of its row among the units.
    pub cell_of: Option<usize>,
}

/// The units of a passage an answer can quote: its [`sentences`], each followed, when it is a
/// wide table row ("Team · Price: $9 · Projects: 50 · Storage: 100 GB"), by one unit per cell
/// with the row's key ("Team · Storage: 100 GB"): a question about one column is answered by
/// that cell, whose meaning the other columns do not dilute. Ingestion embeds exactly these.
pub fn answer_units(title: &str, heading: &str, text: &str) -> Vec<AnswerUnit> {
    let units = sentences(text);
    let subjects = with_subjects(title, heading, &units);
    let mut out = Vec::with_capacity(units.len());
    for (unit, with_subject) in units.into_iter().zip(subjects) {
        let row = out.len();
        let prefix = with_subject.strip_suffix(unit.as_str()).unwrap_or("").to_owned();
        let cells = row_cells(&unit);
        out.push(AnswerUnit { text: unit, with_subject, cell_of: None });
        for cell in cells {
            out.push(AnswerUnit { with_subject: format!("{prefix}{cell}"), text: cell, cell_of: Some(row) });
        }
    }
    out
}

/// The cells of a table row of three columns or more, each with the row's key; none for any
/// other line.
fn row_cells(line: &str) -> Vec<String> {
    let parts: Vec<&str> = line.split(" · ").collect();
    let labelled = parts.iter().skip(1).filter(|p| p.contains(':')).count();
    if parts.len() < 3 || labelled < 2 {
        return Vec::new();
    }
    parts[1..].iter().map(|cell| format!("{} · {cell}", parts[0])).collect()
}

/// Bold and italic markers removed from a line, its words kept.
fn strip_emphasis_inline(t: &str) -> String {
    t.replace("**", "").replace("__", "")
}

/// The units of a text: every line on its own (a passage keeps one unit per line), and within
/// a line, prose split at `.`, `!`, `?` followed by a space and a capital letter, digit or
/// quote, without splitting decimals ("1.5"), initials or common abbreviations ("e.g.", "Dr.").
pub fn sentences(text: &str) -> Vec<String> {
    text.lines().flat_map(line_sentences).collect()
}

fn line_sentences(text: &str) -> Vec<String> {
    const ABBREVIATIONS: &[&str] =
        &["e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "st.", "no.", "approx.", "incl."];
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(pos, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?' | '。' | '！' | '？') {
            continue;
        }
        let next = chars.get(i + 1).map(|&(_, c)| c);
        let after = chars.get(i + 2).map(|&(_, c)| c);
        let boundary = match next {
            None => true,
            Some(n) if n.is_whitespace() => {
                after.is_none_or(|a| a.is_uppercase() || a.is_ascii_digit() || "\"'“¿¡(".contains(a))
            }
            _ => false,
        };
        if !boundary {
            continue;
        }
        let candidate = text[start..pos + c.len_utf8()].trim();
        let last_word = candidate.rsplit(' ').next().unwrap_or("").to_lowercase();
        let initial = last_word.len() == 2 && last_word.starts_with(|c: char| c.is_alphabetic());
        if c == '.' && (ABBREVIATIONS.contains(&last_word.as_str()) || initial) {
            continue;
        }
        if !candidate.is_empty() {
            out.push(candidate.to_owned());
        }
        start = pos + c.len_utf8();
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_their_heading_path() {
        let doc = "# Billing\nWe bill monthly.\n\n## Refunds\nRefunds take 5 days. Contact us first.\n\n# Shipping\nWe ship worldwide.";
        let chunks = chunk(doc, ChunkConfig::default());
        let headings: Vec<&str> = chunks.iter().map(|c| c.heading.as_str()).collect();
        assert_eq!(headings, vec!["Billing", "Billing › Refunds", "Shipping"]);
        assert_eq!(chunks[1].text, "Refunds take 5 days.\nContact us first.");
    }

    #[test]
    fn long_sections_split_at_sentences_with_one_sentence_of_overlap() {
        let body: Vec<String> = (1..=30).map(|i| format!("Sentence number {i} has exactly seven words.")).collect();
        let chunks = chunk(&body.join(" "), ChunkConfig { max_words: 30, overlap_sentences: 1 });
        assert!(chunks.len() > 5);
        for c in &chunks {
            assert!(c.text.split_whitespace().count() <= 30, "{}", c.text);
            assert!(c.text.ends_with("words."), "never cut mid-sentence: {}", c.text);
        }
        for pair in chunks.windows(2) {
            let last_of_first = sentences(&pair[0].text).pop().unwrap_or_default();
            assert!(pair[1].text.starts_with(&last_of_first), "overlap by one sentence");
        }
        let all: String = chunks.iter().map(|c| c.text.clone()).collect::<Vec<_>>().join(" ");
        assert!(all.contains("Sentence number 30 "), "nothing is lost");
    }

    #[test]
    fn sentences_survive_decimals_and_abbreviations() {
        let s = sentences("Plans cost 9.99 dollars, e.g. the Basic plan. Dr. Smith approves it! Is that all? Yes.");
        assert_eq!(
            s,
            vec!["Plans cost 9.99 dollars, e.g. the Basic plan.", "Dr. Smith approves it!", "Is that all?", "Yes."]
        );
    }

    #[test]
    fn list_items_stand_alone_and_code_fences_are_not_headings() {
        let doc = "## Plans\n- Basic: 10 users\n- Pro: 50 users\n```\n# not a heading\n```";
        let chunks = chunk(doc, ChunkConfig::default());
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].heading, "Plans");
        assert_eq!(sentences(&chunks[0].text)[..2], ["Basic: 10 users", "Pro: 50 users"]);
        assert!(chunks[0].text.contains("# not a heading"));
    }

    #[test]
    fn table_rows_are_one_line_each_labelled_by_the_header() {
        let doc = "## Delivery times\n| Country | Standard | Express |\n|---|---|---|\n| Norway | 5–7 days | 3 days |\n| **Spain** | 3–5 days | |";
        let chunks = chunk(doc, ChunkConfig::default());
        assert_eq!(chunks.len(), 1);
        assert_eq!(
            sentences(&chunks[0].text),
            vec!["Norway · Standard: 5–7 days · Express: 3 days", "Spain · Standard: 3–5 days"]
        );
    }

    #[test]
    fn a_record_is_never_split_and_its_price_never_opens_the_next_product() {
        let mut doc = String::from("# Products\nOur tents are tested in the Alps every winter before sale.\n\n");
        for (name, price) in [("Summit 2", 249), ("Summit 3", 329), ("Ridge 1", 189), ("Ridge 2", 219)] {
            doc.push_str(&format!(
                "**{name}**\nCapacity: {} persons\nWeight: 2.1 kg including the pegs and the bag\nPrice: {price} euros\n\n",
                &name[name.len() - 1..]
            ));
        }
        let chunks = chunk(&doc, ChunkConfig { max_words: 30, overlap_sentences: 1 });
        for c in &chunks {
            let lines = sentences(&c.text);
            // Every price line sits in the same passage as its product's title, after it.
            for (i, line) in lines.iter().enumerate() {
                if line.starts_with("Price:") {
                    assert!(lines[..i].iter().any(|l| l.starts_with("Summit") || l.starts_with("Ridge")), "{lines:?}");
                }
            }
            assert!(!lines[0].starts_with("Price:") && !lines[0].starts_with("Capacity:"), "{lines:?}");
        }
        let joined: Vec<String> = chunks.iter().flat_map(|c| sentences(&c.text)).collect();
        for name in ["Summit 2", "Summit 3", "Ridge 1", "Ridge 2"] {
            assert!(joined.iter().any(|l| l == name), "{name} kept as a title line: {joined:?}");
        }
    }

    #[test]
    fn a_record_longer_than_a_passage_repeats_its_title() {
        let mut doc = String::from("Summit 2\n");
        for i in 0..12 {
            doc.push_str(&format!("Fact {i}: a fairly long description of this fact\n"));
        }
        let chunks = chunk(&doc, ChunkConfig { max_words: 30, overlap_sentences: 1 });
        assert!(chunks.len() > 1);
        for c in &chunks {
            assert!(c.text.starts_with("Summit 2\n"), "{}", c.text);
        }
    }

    #[test]
    fn wrapped_list_items_and_prose_paragraphs_are_joined() {
        let doc = "We ship to most of Europe.\nOrders leave our warehouse\nthe same day.\n\n- Free returns within 30 days\n  for unused items.\n- Labels are prepaid.";
        let s = sentences(&chunk(doc, ChunkConfig::default())[0].text);
        assert_eq!(
            s,
            vec![
                "We ship to most of Europe.",
                "Orders leave our warehouse the same day.",
                "Free returns within 30 days for unused items.",
                "Labels are prepaid."
            ]
        );
    }

    #[test]
    fn a_wide_rows_cells_are_units_of_their_own_with_the_rows_key() {
        let text = "Team · Price: $9 · Storage: 100 GB\nStarter · Price: free\nPlans are billed monthly.";
        let units = answer_units("Pricing", "Plan comparison", text);
        let texts: Vec<&str> = units.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Team · Price: $9 · Storage: 100 GB",
                "Team · Price: $9",
                "Team · Storage: 100 GB",
                "Starter · Price: free",
                "Plans are billed monthly."
            ]
        );
        assert_eq!(units[2].with_subject, "Plan comparison — Team · Storage: 100 GB");
        assert_eq!(units[2].cell_of, Some(0));
        assert_eq!(units[3].cell_of, None);
    }

    #[test]
    fn empty_documents_have_no_chunks() {
        assert!(chunk("  \n\n ", ChunkConfig::default()).is_empty());
    }
}
