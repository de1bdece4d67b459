//! CSV records with the line each starts on, read with the `csv` crate.
//!
//! Fields are split by `csv` (RFC 4180: `,` between fields, `"` around fields
//! that hold commas, quotes or line breaks, `""` for a quote inside one; a
//! UTF-8 byte order mark is skipped). Records end at `\n`; the `\r` of a CRLF
//! line end stays on the last field, which the checks trim.
//!
//! Two things `csv` does not tell are worked out here:
//! - **The line a record starts on.** csv's `Position::line` after a record is
//!   the line after its end; less the line breaks inside its fields and its own,
//!   that is the line it starts on. (The position before a record would count
//!   the blank lines csv skips.)
//! - **A quoted field still open at the end of the file**, which `csv` ends
//!   quietly, swallowing the rest of the file. The input is read with an end
//!   marker after it: an open field swallows the marker too, and the record is
//!   reported as malformed; otherwise the marker is a record of its own, which
//!   ends the input. The marker holds NUL bytes, which CSV text does not.
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use csv::{ByteRecord, StringRecord};

/// What follows the file's bytes: a line break (the last line may lack one),
/// then [`END_FIELD`] as a record of its own.
const END_MARK: &[u8] = b"\n\0caretaker: end of input\0\n";

/// The end marker as a field, when no quote swallowed it.
const END_FIELD: &[u8] = b"\0caretaker: end of input\0";

/// Why a record is malformed when a quote is not closed.
const OPEN_QUOTE: &str = "a quoted field is not closed before the end of the file";

/// Why a record is malformed when it is not UTF-8.
const NOT_UTF8: &str = "the line is not UTF-8 text";

/// One record of a CSV file.
#[derive(Debug)]
pub(super) enum CsvRow<'r> {
    /// Its fields, as text (untrimmed).
    Fields(&'r StringRecord),
    /// A line of whitespace only.
    Blank,
    /// A record that cannot be read, and why.
    Malformed(&'static str),
}

/// The records of a CSV file, one at a time.
pub(super) struct CsvRows {
    reader: csv::Reader<io::Chain<File, &'static [u8]>>,
    /// The last record read (its allocation is reused).
    record: StringRecord,
    /// The file's size in bytes.
    size: u64,
}

impl CsvRows {
    /// Opens a CSV file; the header is its first record.
    pub(super) fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(1 << 16)
            .from_reader(file.chain(END_MARK));
        Ok(Self {
            reader,
            record: StringRecord::new(),
            size,
        })
    }

    /// The next record and the line it starts on; `None` at the end of the file.
    pub(super) fn next(&mut self) -> io::Result<Option<(u64, CsvRow<'_>)>> {
        let mut bytes = std::mem::take(&mut self.record).into_byte_record();
        if !self.reader.read_byte_record(&mut bytes)? {
            return Ok(None);
        }
        if bytes.len() == 1 && &bytes[0] == END_FIELD {
            return Ok(None);
        }
        let end_line = self.reader.position().line();
        let breaks: u64 = bytes
            .iter()
            .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
            .sum();
        if bytes
            .iter()
            .next_back()
            .is_some_and(|f| f.ends_with(END_MARK))
        {
            // The open field took every line break to the end, the marker's too.
            return Ok(Some((end_line - breaks, CsvRow::Malformed(OPEN_QUOTE))));
        }
        let line = end_line - breaks - 1;
        match StringRecord::from_byte_record(bytes) {
            Ok(record) => {
                self.record = record;
                let blank = self.record.len() == 1
                    && self.record[0].bytes().all(|b| b.is_ascii_whitespace());
                let row = if blank {
                    CsvRow::Blank
                } else {
                    CsvRow::Fields(&self.record)
                };
                Ok(Some((line, row)))
            }
            Err(e) => {
                self.record = reuse(e.into_byte_record());
                Ok(Some((line, CsvRow::Malformed(NOT_UTF8))))
            }
        }
    }

    /// Bytes of the file read so far.
    pub(super) fn bytes_read(&self) -> u64 {
        self.reader.position().byte().min(self.size)
    }
}

/// An empty record on the allocation of `bytes`.
fn reuse(mut bytes: ByteRecord) -> StringRecord {
    bytes.clear();
    StringRecord::from_byte_record(bytes).expect("an empty record is UTF-8")
}

/// The column names of a CSV file, trimmed; empty when the file is empty or
/// its header cannot be read.
pub(super) fn header(path: &Path) -> io::Result<Vec<String>> {
    let mut rows = CsvRows::open(path)?;
    let names: Vec<String> = match rows.next()? {
        Some((_, CsvRow::Fields(fields))) => fields.iter().map(|f| f.trim().to_owned()).collect(),
        _ => Vec::new(),
    };
    if names.iter().all(String::is_empty) {
        return Ok(Vec::new());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    //! Each record rendered as `line: field|field` (line breaks as `\r`, `\n`),
    //! `line: blank` or `line: error ...`.
    use std::fmt::Write as _;

    use super::*;

    fn check(input: &[u8], expect: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, input).unwrap();
        let mut rows = CsvRows::open(&path).unwrap();
        let mut out = String::new();
        while let Some((line, row)) = rows.next().unwrap() {
            match row {
                CsvRow::Fields(fields) => {
                    let fields: Vec<String> = fields
                        .iter()
                        .map(|f| f.replace('\r', "\\r").replace('\n', "\\n"))
                        .collect();
                    writeln!(out, "{line}: {}", fields.join("|")).unwrap()
                }
                CsvRow::Blank => writeln!(out, "{line}: blank").unwrap(),
                CsvRow::Malformed(why) => writeln!(out, "{line}: error {why}").unwrap(),
            }
        }
        assert_eq!(
            out.trim(),
            expect.trim(),
            "input: {:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(rows.bytes_read(), input.len() as u64);
    }

    #[test]
    fn records_and_the_lines_they_start_on() {
        check(b"a,b\n1,2\n", "1: a|b\n2: 1|2");
        check(
            "\u{feff}a,b\r\n1,2\r\n".as_bytes(),
            r"1: a|b\r
2: 1|2\r",
        );
        check(b"a,b\n1,2", "1: a|b\n2: 1|2");
        check(b"a,b\n\n\n1,2\n", "1: a|b\n4: 1|2");
        check(
            b"a,b\r\n\r\n1,2\r\n",
            r"1: a|b\r
2: blank
3: 1|2\r",
        );
        check(b"a,b\n \t\n1,2\n", "1: a|b\n2: blank\n3: 1|2");
        check(b"a\n\"x, y\"\n", "1: a\n2: x, y");
        check(b"a\n\"say \"\"hi\"\"\"\n", "1: a\n2: say \"hi\"");
        check(
            b"a,b\n\"two\nlines\",2\n\n3,4\n",
            r"1: a|b
2: two\nlines|2
5: 3|4",
        );
        check(b"a,b\n1,,\n", "1: a|b\n2: 1||");
        check(b"a\nx\"y\n", "1: a\n2: x\"y");
        check(b"", "");
    }

    #[test]
    fn unreadable_records() {
        check(
            b"a\n\"open\n",
            "1: a\n2: error a quoted field is not closed before the end of the file",
        );
        check(
            b"a\n1\n\"open\nand on\n",
            "1: a\n2: 1\n3: error a quoted field is not closed before the end of the file",
        );
        check(
            b"a\n\"open",
            "1: a\n2: error a quoted field is not closed before the end of the file",
        );
        check(
            b"a,b\nok,\xff\n3,4\n",
            "1: a|b\n2: error the line is not UTF-8 text\n3: 3|4",
        );
    }
}
