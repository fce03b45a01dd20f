//! An account's roles, handed to the snapshot a chunk at a time: parsed
//! already (the live collector's pages), or left as JSON text in their
//! authorization-details file until their chunk is evaluated (fixtures).
//!
//! Why: a 20,000-role account's roles, parsed, were most of a snapshot's
//! memory, and parsing them all on one thread was the longest step that used
//! only one core (#13). Indexing the file keeps only where each role's text
//! is; each chunk's roles are read back and parsed by the thread that
//! evaluates them (many chunks at once, on every core), then dropped.

use super::aws_json::RoleDetail;
use super::fixtures::{SourceError, from_bytes};
use std::borrow::Cow;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// An account's roles, in the order AWS listed them.
#[derive(Debug)]
pub enum RoleList {
    /// Roles already parsed (the live collector's pages).
    Parsed(Vec<RoleDetail>),
    /// Roles still in their authorization-details file.
    InFile(RolesInFile),
}

/// Where each role's JSON text is in an authorization-details file.
#[derive(Debug)]
pub struct RolesInFile {
    path: PathBuf,
    /// The file, open from indexing on: the threads that evaluate the
    /// chunks read their roles' text from it at their offsets, side by side.
    file: File,
    /// The file's size and modification time when it was indexed: a file
    /// changed since is reported as such rather than misread.
    stamp: (u64, Option<SystemTime>),
    spans: Vec<RoleSpan>,
}

/// One role's text in the file, and where it is in the JSON (for errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleSpan {
    /// Byte offsets of the role's object, `{` to `}` inclusive.
    pub start: usize,
    pub end: usize,
    /// The page it is on, when the file is a list of pages.
    pub page: Option<usize>,
    /// Its index in its page's `RoleDetailList`.
    pub index: usize,
}

impl RoleSpan {
    /// The role's JSON path, as a whole-file parse would name it
    /// (`RoleDetailList[3]`, `[1].RoleDetailList[0]`).
    fn json_path(&self) -> String {
        match self.page {
            Some(page) => format!("[{page}].RoleDetailList[{}]", self.index),
            None => format!("RoleDetailList[{}]", self.index),
        }
    }
}

/// A chunk of roles, parsed.
#[derive(Debug)]
pub struct RoleChunk<'a> {
    /// The chunk's roles in order, up to the first that does not parse.
    pub roles: Vec<Cow<'a, RoleDetail>>,
    /// Why the role after the last of `roles` does not parse, if one does not
    /// (the rest of the chunk is then not returned: the account fails there).
    pub error: Option<SourceError>,
}

impl RolesInFile {
    /// Roles at `spans` of the file at `path`, as it is now.
    pub fn new(path: PathBuf, spans: Vec<RoleSpan>) -> Result<RolesInFile, SourceError> {
        let file = File::open(&path).map_err(SourceError::read(&path))?;
        let stamp = stamp(&path, &file)?;
        Ok(RolesInFile {
            path,
            file,
            stamp,
            spans,
        })
    }

    /// Reads and parses the roles at `spans` (a run of `self.spans`), in
    /// order, on this thread.
    fn chunk(&self, spans: &[RoleSpan]) -> Result<RoleChunk<'static>, SourceError> {
        let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
            return Ok(RoleChunk {
                roles: Vec::new(),
                error: None,
            });
        };
        let path = self.path.as_path();
        let changed = || SourceError::ChangedWhileRead {
            path: path.to_path_buf(),
        };
        if stamp(path, &self.file)? != self.stamp {
            return Err(changed());
        }
        let mut text = vec![0u8; last.end - first.start];
        read_at(&self.file, &mut text, first.start as u64).map_err(SourceError::read(path))?;
        // Again after reading: a change while reading must not pass either.
        if stamp(path, &self.file)? != self.stamp {
            return Err(changed());
        }
        let mut chunk = RoleChunk {
            roles: Vec::with_capacity(spans.len()),
            error: None,
        };
        for span in spans {
            let role_text = &text[span.start - first.start..span.end - first.start];
            match parse_role(path, span, role_text) {
                Ok(role) => chunk.roles.push(Cow::Owned(role)),
                Err(e) => {
                    chunk.error = Some(e);
                    break;
                }
            }
        }
        Ok(chunk)
    }
}

/// Fills `buf` from `file` at `offset` without moving a shared cursor, so
/// threads read one open file at once.
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Fills `buf` from `file` at `offset` (Windows: `seek_read` may return
/// short, so it is called until the buffer is full).
#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

impl RoleList {
    /// How many roles there are.
    pub fn len(&self) -> usize {
        match self {
            RoleList::Parsed(roles) => roles.len(),
            RoleList::InFile(file) => file.spans.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The roles at positions `range`, parsed (on this thread, for a file).
    /// An error here is about the file as a whole (it cannot be read, or
    /// changed since it was indexed); a role that does not parse is the
    /// chunk's `error`.
    pub fn chunk(&self, range: Range<usize>) -> Result<RoleChunk<'_>, SourceError> {
        match self {
            RoleList::Parsed(roles) => Ok(RoleChunk {
                roles: roles[range].iter().map(Cow::Borrowed).collect(),
                error: None,
            }),
            RoleList::InFile(file) => file.chunk(&file.spans[range]),
        }
    }
}

/// Parses one role's text as a whole-file parse would, naming a field of the
/// wrong shape by its JSON path in the file. The path is only built for a
/// role that fails (`from_bytes` parses it again, tracking where it is).
fn parse_role(path: &Path, span: &RoleSpan, text: &[u8]) -> Result<RoleDetail, SourceError> {
    serde_json::from_slice(text).or_else(|_| from_bytes(path, &span.json_path(), text))
}

/// The size and modification time of `file`, open at `path`.
fn stamp(path: &Path, file: &File) -> Result<(u64, Option<SystemTime>), SourceError> {
    let meta = file.metadata().map_err(SourceError::read(path))?;
    Ok((meta.len(), meta.modified().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = r#"{"Path": "/", "RoleName": "NAME", "RoleId": "AROAX", "Arn": "arn:aws:iam::111111111111:role/NAME",
        "CreateDate": "2024-01-01T00:00:00Z", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}}"#;

    /// A file of `names` roles in one `RoleDetailList`, and their spans.
    fn file_of(dir: &Path, roles: &[String]) -> (PathBuf, Vec<RoleSpan>) {
        let mut text = String::from("{\n  \"RoleDetailList\": [\n");
        let mut spans = Vec::new();
        for (index, role) in roles.iter().enumerate() {
            if index > 0 {
                text.push_str(",\n");
            }
            let start = text.len();
            text.push_str(role);
            spans.push(RoleSpan {
                start,
                end: text.len(),
                page: None,
                index,
            });
        }
        text.push_str("\n  ]\n}\n");
        let path = dir.join("authorization-details.json");
        std::fs::write(&path, text).unwrap();
        (path, spans)
    }

    fn role(name: &str) -> String {
        ROLE.replace("NAME", name)
    }

    #[test]
    fn a_chunk_reads_and_parses_its_roles_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let roles: Vec<String> = (0..10).map(|i| role(&format!("r{i}"))).collect();
        let (path, spans) = file_of(dir.path(), &roles);
        let list = RoleList::InFile(RolesInFile::new(path, spans).unwrap());
        assert_eq!(list.len(), 10);
        let chunk = list.chunk(3..7).unwrap();
        assert!(chunk.error.is_none());
        let names: Vec<&str> = chunk.roles.iter().map(|r| r.role_name.as_str()).collect();
        assert_eq!(names, ["r3", "r4", "r5", "r6"]);
    }

    #[test]
    fn a_role_that_does_not_parse_ends_the_chunk_and_is_named_by_its_json_path() {
        let dir = tempfile::tempdir().unwrap();
        let mut roles: Vec<String> = (0..6).map(|i| role(&format!("r{i}"))).collect();
        roles[2] = roles[2].replace("\"RoleName\": \"r2\"", "\"RoleName\": 42");
        roles[4] = roles[4].replace("\"CreateDate\"", "\"Created\"");
        let (path, spans) = file_of(dir.path(), &roles);
        let list = RoleList::InFile(RolesInFile::new(path, spans).unwrap());
        let chunk = list.chunk(0..6).unwrap();
        assert_eq!(chunk.roles.len(), 2, "the roles before the first bad one");
        let message = chunk.error.unwrap().to_string();
        assert!(
            message.contains("RoleDetailList[2].RoleName") && message.contains("expected a string"),
            "{message}"
        );
    }

    #[test]
    fn a_page_is_named_in_the_json_path() {
        let span = RoleSpan {
            start: 0,
            end: 0,
            page: Some(1),
            index: 0,
        };
        assert_eq!(span.json_path(), "[1].RoleDetailList[0]");
    }

    #[test]
    fn a_file_changed_after_indexing_is_an_error_not_a_misread() {
        let dir = tempfile::tempdir().unwrap();
        let roles: Vec<String> = (0..3).map(|i| role(&format!("r{i}"))).collect();
        let (path, spans) = file_of(dir.path(), &roles);
        let list = RoleList::InFile(RolesInFile::new(path.clone(), spans).unwrap());
        std::fs::write(&path, "{\"RoleDetailList\": []}").unwrap();
        let err = list.chunk(0..3).unwrap_err().to_string();
        assert!(err.contains("authorization-details.json"), "{err}");
        assert!(err.contains("changed"), "{err}");
    }

    #[test]
    fn parsed_roles_are_lent_not_copied() {
        let parsed: RoleDetail = serde_json::from_str(&role("a")).unwrap();
        let list = RoleList::Parsed(vec![parsed]);
        let chunk = list.chunk(0..1).unwrap();
        assert!(matches!(chunk.roles[0], Cow::Borrowed(_)));
    }
}
