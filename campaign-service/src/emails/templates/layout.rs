//! The shared layout of every email: the `Body` builder that writes the
//! plain-text and HTML parts side by side, the greeting and the shop sign-off.

use super::text::{escape_html, single_line};

pub(super) const SHOP: &str = "Storefront";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub(super) fn greeting(name: &str) -> String {
    if name.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hi {name},")
    }
}

/// Both parts of an email, built side by side from plain text only.
#[derive(Default)]
pub(super) struct Body {
    text: String,
    html: String,
}

impl Body {
    pub(super) fn paragraph(&mut self, text: &str) {
        append(&mut self.text, &[text, "\n\n"]);
        append(&mut self.html, &["<p>", &escape_html(text), "</p>\n"]);
    }

    /// Lines kept together, such as an address.
    pub(super) fn lines(&mut self, lines: &[String]) {
        append(&mut self.text, &[&lines.join("\n"), "\n\n"]);
        let escaped: Vec<String> = lines.iter().map(|line| escape_html(line)).collect();
        append(&mut self.html, &["<p>", &escaped.join("<br>\n"), "</p>\n"]);
    }

    pub(super) fn list(&mut self, items: impl IntoIterator<Item = String>) {
        self.html.push_str("<ul>\n");
        for item in items {
            append(&mut self.text, &["- ", &item, "\n"]);
            append(&mut self.html, &["<li>", &escape_html(&item), "</li>\n"]);
        }
        self.text.push('\n');
        self.html.push_str("</ul>\n");
    }

    /// Labelled values, one a line.
    pub(super) fn facts(&mut self, facts: &[(&str, String)]) {
        self.html.push_str("<table role=\"presentation\">\n");
        for (label, value) in facts {
            append(&mut self.text, &[label, ": ", value, "\n"]);
            append(
                &mut self.html,
                &[
                    "<tr><th align=\"left\">",
                    &escape_html(label),
                    "</th><td>",
                    &escape_html(value),
                    "</td></tr>\n",
                ],
            );
        }
        self.text.push('\n');
        self.html.push_str("</table>\n");
    }

    /// A table; the text part aligns its columns with spaces.
    pub(super) fn table(&mut self, headers: &[&str], rows: &[Vec<String>]) {
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let text_row = |cells: &mut dyn Iterator<Item = &str>| -> String {
            let padded: Vec<String> = cells
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            format!("{}\n", padded.join("  ").trim_end())
        };
        self.text.push_str(&text_row(&mut headers.iter().copied()));
        for row in rows {
            self.text
                .push_str(&text_row(&mut row.iter().map(String::as_str)));
        }
        self.text.push('\n');

        self.html.push_str("<table>\n<thead><tr>");
        for header in headers {
            append(
                &mut self.html,
                &["<th align=\"left\">", &escape_html(header), "</th>"],
            );
        }
        self.html.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            self.html.push_str("<tr>");
            for cell in row {
                append(&mut self.html, &["<td>", &escape_html(cell), "</td>"]);
            }
            self.html.push_str("</tr>\n");
        }
        self.html.push_str("</tbody>\n</table>\n");
    }

    pub(super) fn link(&mut self, intro: &str, label: &str, url: &str) {
        append(&mut self.text, &[intro, "\n", label, ": ", url, "\n\n"]);
        append(
            &mut self.html,
            &[
                "<p>",
                &escape_html(intro),
                " <a href=\"",
                &escape_html(url),
                "\">",
                &escape_html(label),
                "</a></p>\n",
            ],
        );
    }

    pub(super) fn finish(self, subject: &str) -> RenderedEmail {
        let subject = single_line(subject);
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>{}</title>\n</head>\n<body style=\"font-family: sans-serif; color: #222;\">\n\
             {}<p>{SHOP}</p>\n</body>\n</html>\n",
            escape_html(&subject),
            self.html
        );
        let text = format!("{}-- \n{SHOP}\n", self.text);
        RenderedEmail {
            subject,
            text,
            html,
        }
    }
}

pub(super) fn append(out: &mut String, parts: &[&str]) {
    for part in parts {
        out.push_str(part);
    }
}
