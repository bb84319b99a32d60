//! Parsing a registry config one gateway table at a time.
//!
//! A TOML parser holds the whole document while it parses it: for a registry of 10,000
//! gateways that is tens of megabytes, which the allocator keeps resident once the long-lived
//! registry entries were allocated in between. Cutting the text at the gateway table headers
//! and parsing each table on its own keeps the parser's memory to one gateway's worth.
//!
//! The cut is conservative: [`split_gateway_tables`] gives up on any file with a multi-line
//! string, and a header it does not recognise exactly stays with the rest of the file, whose
//! parse then finds the gateways (callers parse the whole document then, see
//! [`InMemoryRegistry::from_toml`](super::InMemoryRegistry::from_toml)).

use super::config::{GatewayConfig, RegistryConfig};

/// A config cut at its gateway tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayTables<'a> {
    /// The text without the gateway tables (every other line, in order).
    pub rest: String,
    /// Each gateway table with its `key` sub-tables, header line first, in file order.
    pub gateways: Vec<&'a str>,
}

/// Cuts `text` at the lines that are exactly `[[{table}]]` (e.g. `table` = `"gateway"` or
/// `"registry.gateway"`; surrounding whitespace and a trailing `# comment` allowed). A
/// gateway table runs to the next header line (a line starting with `[`) other than
/// `[[{table}.key]]`.
///
/// `None` when there is no such line, or when the text has a multi-line string (`"""` or
/// `'''`), whose lines could look like headers: parse the whole text then.
pub fn split_gateway_tables<'a>(text: &'a str, table: &str) -> Option<GatewayTables<'a>> {
    if text.contains("\"\"\"") || text.contains("'''") {
        return None;
    }
    let header = format!("[[{table}]]");
    let key_header = format!("[[{table}.key]]");
    let mut rest = String::new();
    let mut gateways = Vec::new();
    // Start of the gateway table being read.
    let mut current: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if is_header(line, &header) {
            if let Some(begin) = current.replace(start) {
                gateways.push(&text[begin..start]);
            }
            continue;
        }
        if line.trim_start().starts_with('[')
            && !is_header(line, &key_header)
            && let Some(begin) = current.take()
        {
            gateways.push(&text[begin..start]);
        }
        if current.is_none() {
            rest.push_str(line);
        }
    }
    if let Some(begin) = current {
        gateways.push(&text[begin..]);
    }
    if gateways.is_empty() {
        return None;
    }
    Some(GatewayTables { rest, gateways })
}

/// Parses one gateway table cut by [`split_gateway_tables`] with the same `table`; `None` if
/// it is not exactly one valid gateway entry.
pub fn parse_gateway_table(chunk: &str, table: &str) -> Option<GatewayConfig> {
    let mut config: RegistryConfig = if table == "gateway" {
        toml::from_str(chunk).ok()?
    } else {
        // Re-headed as gateway-io's own format; the copy is one gateway's size.
        let header = format!("[[{table}]]");
        let key_header = format!("[[{table}.key]]");
        let mut text = String::with_capacity(chunk.len());
        for line in chunk.split_inclusive('\n') {
            if is_header(line, &header) {
                text.push_str("[[gateway]]\n");
            } else if is_header(line, &key_header) {
                text.push_str("[[gateway.key]]\n");
            } else {
                text.push_str(line);
            }
        }
        toml::from_str(&text).ok()?
    };
    if config.gateways.len() != 1 || !config.frequency_plans.is_empty() {
        return None;
    }
    config.gateways.pop()
}

/// Whether `line` is `header`, give or take surrounding whitespace and a trailing comment.
fn is_header(line: &str, header: &str) -> bool {
    line.trim_start().strip_prefix(header).is_some_and(|after| {
        let after = after.trim();
        after.is_empty() || after.starts_with('#')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_gateway_headers_and_keeps_keys_with_their_gateway() {
        let text = "a = 1\n[[gateway]]\nid = \"x\"\n  [[gateway.key]] # k\nname = \"k\"\n\
                    [other]\nb = 2\n[[gateway]]\nid = \"y\"\n[[gateway.keys]]\n";
        let split = split_gateway_tables(text, "gateway").unwrap();
        assert_eq!(split.rest, "a = 1\n[other]\nb = 2\n[[gateway.keys]]\n");
        assert_eq!(
            split.gateways,
            [
                "[[gateway]]\nid = \"x\"\n  [[gateway.key]] # k\nname = \"k\"\n",
                "[[gateway]]\nid = \"y\"\n"
            ]
        );
    }

    #[test]
    fn gives_up_on_multi_line_strings_and_files_without_gateways() {
        assert_eq!(
            split_gateway_tables("[[gateway]]\nid = \"\"\"x\"\"\"\n", "gateway"),
            None
        );
        assert_eq!(
            split_gateway_tables("[[gateway]]\nid = '''x'''\n", "gateway"),
            None
        );
        assert_eq!(
            split_gateway_tables("a = 1\n[[gateway]]x\n", "gateway"),
            None
        );
        assert_eq!(split_gateway_tables("", "gateway"), None);
    }

    #[test]
    fn parses_one_re_headed_table() {
        let chunk = "[[registry.gateway]]\nid = \"x\"\nfrequency_plans = [\"EU_863_870\"]\n\
                     [[registry.gateway.key]]\nname = \"k\"\nhash = \"h\"\nrights = [\"link\"]\n";
        let gateway = parse_gateway_table(chunk, "registry.gateway").unwrap();
        assert_eq!(gateway.id, "x");
        assert_eq!(gateway.keys[0].name, "k");
        assert_eq!(parse_gateway_table(chunk, "gateway"), None);
        assert_eq!(
            parse_gateway_table("[[gateway]]\nid = 1\n", "gateway"),
            None
        );
    }
}
