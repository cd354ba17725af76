//! A small incremental Server-Sent Events parser (the WHATWG event-stream format).
//!
//! Feed it bytes as they arrive with [`SseParser::push`]; it returns every complete event.
//! Events end at a blank line; `data:` lines are joined with `\n`; `event:` sets the name;
//! lines starting with `:` are comments; `id:`/`retry:` and unknown fields are ignored.
//! Lines may end with LF, CRLF or CR, and chunks may split lines or UTF-8 sequences anywhere.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name, if any (the spec's default is "message").
    pub event: Option<String>,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
    has_data: bool,
    started: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes and returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < self.buf.len() {
            match self.buf[i] {
                b'\n' => {
                    let line = self.buf[start..i].to_vec();
                    self.line(&line, &mut out);
                    i += 1;
                    start = i;
                }
                b'\r' => {
                    if i + 1 == self.buf.len() {
                        // A CR at the end of the buffer may be the first half of CRLF.
                        break;
                    }
                    let line = self.buf[start..i].to_vec();
                    self.line(&line, &mut out);
                    i += if self.buf[i + 1] == b'\n' { 2 } else { 1 };
                    start = i;
                }
                _ => i += 1,
            }
        }
        self.buf.drain(..start);
        out
    }

    /// Ends the stream: a trailing event without its blank line is still delivered.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let mut out = Vec::new();
        if !self.buf.is_empty() {
            let mut rest = std::mem::take(&mut self.buf);
            if rest.last() == Some(&b'\r') {
                rest.pop();
            }
            self.line(&rest, &mut out);
        }
        self.line(b"", &mut out);
        out.pop()
    }

    fn line(&mut self, raw: &[u8], out: &mut Vec<SseEvent>) {
        let mut line = String::from_utf8_lossy(raw).into_owned();
        if !self.started {
            self.started = true;
            if let Some(rest) = line.strip_prefix('\u{feff}') {
                line = rest.to_string();
            }
        }
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent {
                    event: self.event.take(),
                    data: self.data.join("\n"),
                });
            }
            self.event = None;
            self.data.clear();
            self.has_data = false;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.find(':') {
            Some(p) => {
                let v = &line[p + 1..];
                (&line[..p], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line.as_str(), ""),
        };
        match field {
            "data" => {
                self.data.push(value.to_string());
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_string()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(p.push(c));
        }
        out.extend(p.finish());
        out
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_string),
            data: data.to_string(),
        }
    }

    #[test]
    fn events_split_by_blank_lines_with_names_and_joined_data() {
        let s = b"event: message_start\ndata: {\"a\":1}\n\n: keep-alive comment\n\ndata: one\ndata: two\n\ndata:no-space\n\n";
        assert_eq!(
            all(&[s]),
            vec![
                ev(Some("message_start"), "{\"a\":1}"),
                ev(None, "one\ntwo"),
                ev(None, "no-space")
            ]
        );
    }

    #[test]
    fn byte_by_byte_and_crlf_give_the_same_result() {
        let s = "event: x\r\ndata: héllo\r\n\r\ndata: [DONE]\r\n\r\n";
        let chunks: Vec<&[u8]> = s.as_bytes().chunks(1).collect();
        let expected = vec![ev(Some("x"), "héllo"), ev(None, "[DONE]")];
        assert_eq!(all(&chunks), expected);
        assert_eq!(all(&[s.as_bytes()]), expected);
        let cr = s.replace("\r\n", "\r");
        assert_eq!(all(&[cr.as_bytes()]), expected);
    }

    #[test]
    fn events_without_data_are_not_dispatched_and_names_reset() {
        assert_eq!(all(&[b"event: ping\n\ndata: x\n\n"]), vec![ev(None, "x")]);
        assert_eq!(all(&[b"id: 4\nretry: 10\n\n"]), vec![]);
    }

    #[test]
    fn empty_data_line_counts_as_data() {
        assert_eq!(all(&[b"data\n\n"]), vec![ev(None, "")]);
        assert_eq!(all(&[b"data:\ndata:\n\n"]), vec![ev(None, "\n")]);
    }

    #[test]
    fn trailing_event_without_blank_line_is_delivered_on_finish() {
        assert_eq!(all(&[b"data: last"]), vec![ev(None, "last")]);
        assert_eq!(all(&[b"data: last\r"]), vec![ev(None, "last")]);
    }

    #[test]
    fn only_one_leading_space_is_removed_and_bom_is_skipped() {
        assert_eq!(
            all(&["\u{feff}data:  two spaces\n\n".as_bytes()]),
            vec![ev(None, " two spaces")]
        );
    }
}
