//! Client-supplied text made safe for a log line: a header, a path or a name
//! sent by a client could otherwise forge log lines (a newline) or drive a
//! terminal (escape sequences).
use std::fmt::Write as _;

/// Longest client-supplied text kept in a log line, in characters; the rest is
/// replaced by `…`.
pub const MAX_LOGGED_CHARS: usize = 200;

/// `text` with every control character (below 0x20, and 0x7f) written as a
/// `\xNN` escape, backslashes doubled (so an escape in the input cannot pass for
/// one of ours), and cut to [`MAX_LOGGED_CHARS`] characters.
pub fn for_log(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LOGGED_CHARS * 4));
    for (i, c) in text.chars().enumerate() {
        if i == MAX_LOGGED_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_nothing_else_changes() {
        assert_eq!(for_log("curl/8.5 (Ünïcode) ok"), "curl/8.5 (Ünïcode) ok");
        assert_eq!(
            for_log("a\r\nINFO forged line\u{1b}[31m\tz\u{7f}"),
            "a\\x0d\\x0aINFO forged line\\x1b[31m\\x09z\\x7f"
        );
        assert_eq!(
            for_log("C:\\x0a"),
            "C:\\\\x0a",
            "a literal escape stays literal"
        );
        let logged = for_log(&"é".repeat(500));
        assert_eq!(logged.chars().count(), MAX_LOGGED_CHARS + 1);
        assert!(logged.ends_with('…'));
        assert!(
            for_log(&(0u8..=0x7f).map(char::from).collect::<String>())
                .chars()
                .all(|c| !c.is_control())
        );
    }
}
