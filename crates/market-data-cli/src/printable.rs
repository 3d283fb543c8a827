//! Text that is safe to show on a terminal, whatever Bybit or a cache entry put in it.

use std::borrow::Cow;

/// `text` with every character that could steer a terminal shown as a `\u{..}` escape:
/// control characters (an escape sequence could recolour, move the cursor or retitle the
/// window) and Unicode's invisible format characters (a bidirectional override could make a
/// symbol read as another). Ordinary text is borrowed as is.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_on_terminal) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_on_terminal(c) {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

fn unsafe_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' // Arabic letter mark
                | '\u{200B}'..='\u{200F}' // zero-width spaces and marks
                | '\u{202A}'..='\u{202E}' // bidirectional embeddings and overrides
                | '\u{2060}'..='\u{2069}' // word joiner, invisible operators, isolates
                | '\u{FEFF}' // zero-width no-break space
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_symbols_are_borrowed_unchanged() {
        assert!(matches!(printable("BTCUSDT"), Cow::Borrowed("BTCUSDT")));
        assert_eq!(printable("1000PEPE-25DEC26 €"), "1000PEPE-25DEC26 €");
    }

    #[test]
    fn escape_sequences_and_line_breaks_are_shown_escaped() {
        assert_eq!(
            printable("BTC\u{1b}[2J\u{1b}]0;x\u{7}"),
            "BTC\\u{1b}[2J\\u{1b}]0;x\\u{7}"
        );
        assert_eq!(printable("A\nB\rC\tD"), "A\\u{a}B\\u{d}C\\u{9}D");
        assert_eq!(
            printable("\u{9b}31m"),
            "\\u{9b}31m",
            "a C1 control introducer"
        );
    }

    #[test]
    fn invisible_format_characters_are_shown_escaped() {
        assert_eq!(printable("ETH\u{202E}TDSU"), "ETH\\u{202e}TDSU");
        assert_eq!(printable("\u{FEFF}BTC"), "\\u{feff}BTC");
    }
}
