//! Field validation shared by every entry point; each failure names its field.

use crate::{DomainError, DomainResult};

/// Longest name (person or organisation) we accept.
pub const MAX_NAME_LEN: usize = 100;
/// Shortest password we accept (NIST SP 800-63B minimum).
pub const MIN_PASSWORD_LEN: usize = 8;
/// argon2 input cap; also stops multi-megabyte "passwords" from burning CPU.
pub const MAX_PASSWORD_LEN: usize = 256;

/// Passwords so common that length alone does not make them acceptable.
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "iloveyou",
    "11111111",
    "00000000",
    "abcdefgh",
    "letmein1",
    "welcome1",
    "admin123",
    "passw0rd",
    "baseball",
    "football",
    "sunshine",
    "princess",
    "trustno1",
    "iterochat",
];

/// Normalises and validates an email address: trimmed, lower-cased, `local@domain.tld` shape.
pub fn email(field: &'static str, raw: &str) -> DomainResult<String> {
    let value = raw.trim().to_lowercase();
    if value.is_empty() {
        return Err(DomainError::invalid(field, "email is required"));
    }
    let valid_shape = value.len() <= 254
        && email_address::EmailAddress::is_valid(&value)
        && value
            .rsplit_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.ends_with('.'));
    if !valid_shape {
        return Err(DomainError::invalid(field, format!("'{}' is not a valid email address", raw.trim())));
    }
    Ok(value)
}

/// A display name: trimmed, non-empty, at most [`MAX_NAME_LEN`] characters, no control characters.
pub fn name(field: &'static str, raw: &str) -> DomainResult<String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(DomainError::invalid(field, "is required"));
    }
    if value.chars().count() > MAX_NAME_LEN {
        return Err(DomainError::invalid(field, format!("must be at most {MAX_NAME_LEN} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must not contain control characters"));
    }
    if value.chars().any(is_format_char) {
        return Err(DomainError::invalid(
            field,
            "must not contain invisible or direction-changing characters (zero-width spaces, bidi overrides)",
        ));
    }
    Ok(value.to_owned())
}

/// Unicode format characters that hide text or reorder it on screen (a name shown as
/// "Ada" that reads otherwise): zero-width spaces and joiners, bidi marks, embeddings,
/// overrides and isolates, the word joiner and invisible operators, the byte-order mark.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// A new password: long enough, not absurdly long, not on the common-password list.
pub fn new_password(raw: &str) -> DomainResult<()> {
    let len = raw.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(DomainError::invalid("password", format!("must be at least {MIN_PASSWORD_LEN} characters")));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(DomainError::invalid("password", format!("must be at most {MAX_PASSWORD_LEN} characters")));
    }
    if COMMON_PASSWORDS.contains(&raw.to_lowercase().as_str()) || raw.chars().all(|c| raw.starts_with(c)) {
        return Err(DomainError::invalid("password", "is too common; choose a less guessable one"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("Ann@Example.COM ", Some("ann@example.com"))]
    #[case("a.b+tag@sub.example.org", Some("a.b+tag@sub.example.org"))]
    #[case("no-at-sign.example.com", None)]
    #[case("ann@localhost", None)]
    #[case("ann@", None)]
    #[case("", None)]
    #[case("two@@example.com", None)]
    fn emails_are_normalised_or_refused(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(email("email", raw).ok().as_deref(), expected);
    }

    #[rstest]
    #[case("correct horse battery", true)]
    #[case("short", false)]
    #[case("password123", false)]
    #[case("aaaaaaaaaaaa", false)]
    fn weak_passwords_are_refused(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(new_password(raw).is_ok(), ok);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Ann  ").ok().as_deref(), Some("Ann"));
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"x".repeat(101)).is_err());
    }
}
