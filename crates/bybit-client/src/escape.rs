//! Showing text that came from the network without letting it drive a terminal.

use std::fmt;

/// Displays a string with every character that could move the cursor, retitle a window,
/// erase a screen or reorder what a reader sees written as `\u{..}`: C0 controls (newlines
/// too, so one error stays one log line), DEL, C1 controls, and Unicode's bidi and
/// invisible format characters. The text itself is left unchanged, so errors keep the exact
/// bytes for a caller that matches on them.
///
/// Public so that a program printing Bybit's text (symbols, messages) to a terminal shows it
/// the same way:
///
/// ```
/// use bybit_client::Escaped;
///
/// assert_eq!(Escaped("BTC\u{1b}[2JUSDT").to_string(), r"BTC\u{1b}[2JUSDT");
/// assert_eq!(Escaped("BTCUSDT").to_string(), "BTCUSDT");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some((at, c)) = rest.char_indices().find(|(_, c)| is_hostile(*c)) {
            f.write_str(&rest[..at])?;
            write!(f, "\\u{{{:x}}}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

fn is_hostile(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(s: &str) -> String {
        Escaped(s).to_string()
    }

    #[test]
    fn plain_text_passes_unchanged() {
        for s in [
            "",
            "Illegal category",
            "café ✓ 日本 \\u{1b} \"q\" ~",
            "a\u{a0}b",
        ] {
            assert_eq!(shown(s), s);
        }
    }

    #[test]
    fn symbols_and_non_ascii_names_pass_unchanged() {
        assert_eq!(shown("BTCUSDT"), "BTCUSDT");
        assert_eq!(shown("1000PEPE-25DEC26 €"), "1000PEPE-25DEC26 €");
    }

    #[test]
    fn escape_sequences_c1_and_bidi_overrides_become_escapes() {
        assert_eq!(
            shown("BTC\u{1b}[2J\u{1b}]0;x\u{7}"),
            r"BTC\u{1b}[2J\u{1b}]0;x\u{7}"
        );
        assert_eq!(shown("A\nB\rC\tD"), r"A\u{a}B\u{d}C\u{9}D");
        assert_eq!(shown("\u{9b}31m"), r"\u{9b}31m", "a C1 control introducer");
        assert_eq!(shown("ETH\u{202E}TDSU"), r"ETH\u{202e}TDSU");
        assert_eq!(shown("\u{FEFF}BTC"), r"\u{feff}BTC");
    }

    #[test]
    fn controls_and_format_characters_become_escapes() {
        assert_eq!(shown("\x1b]0;pwned\x07"), r"\u{1b}]0;pwned\u{7}");
        assert_eq!(shown("a\r\nb\tc\0"), r"a\u{d}\u{a}b\u{9}c\u{0}");
        assert_eq!(shown("\x7f\u{80}\u{9b}\u{9f}"), r"\u{7f}\u{80}\u{9b}\u{9f}");
        assert_eq!(
            shown("\u{61c}\u{200b}\u{200f}\u{202a}\u{202e}\u{2060}\u{2069}\u{feff}"),
            r"\u{61c}\u{200b}\u{200f}\u{202a}\u{202e}\u{2060}\u{2069}\u{feff}"
        );
    }

    #[test]
    fn the_edges_of_each_range_are_exact() {
        // Neighbours of the escaped ranges are ordinary characters.
        for c in [
            ' ', '~', '\u{a0}', '\u{61b}', '\u{200a}', '\u{2010}', '\u{2029}',
        ] {
            assert!(!is_hostile(c), "{c:?}");
        }
        for c in ['\u{202f}', '\u{205f}', '\u{206a}', '\u{fefe}', '\u{ff00}'] {
            assert!(!is_hostile(c), "{c:?}");
        }
        assert!(shown("x\u{202e}y").starts_with('x') && shown("x\u{202e}y").ends_with('y'));
    }
}
