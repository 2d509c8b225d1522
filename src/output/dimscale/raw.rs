//! The byte level of [`super`]: the file opened for the pass, object
//! headers parsed (version 2, as hdf5-pure writes them) and extended with a
//! continuation chunk.
use super::encode::lookup3;
use super::{bad, join, CONT_BODY, MAX_MESSAGE, MSG_ATTRIBUTE, MSG_CONTINUATION, MSG_DATASPACE};
use super::{MSG_LINK, MSG_LINK_INFO, MSG_NIL, MSG_SYMBOL_TABLE, UNDEF};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Bytes to be written from `start` on (the old end of file), 8-aligned.
pub(super) struct Tail {
    pub(super) start: u64,
    pub(super) bytes: Vec<u8>,
}

impl Tail {
    pub(super) fn new(eof: u64) -> Tail {
        let start = eof.next_multiple_of(8);
        Tail {
            start,
            bytes: Vec::new(),
        }
    }
    /// Appends a block; returns its address.
    pub(super) fn put(&mut self, block: &[u8]) -> u64 {
        while !self.bytes.len().is_multiple_of(8) {
            self.bytes.push(0);
        }
        let at = self.start + self.bytes.len() as u64;
        self.bytes.extend_from_slice(block);
        at
    }
    pub(super) fn end(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }
}

/// The file, opened for the pass.
pub(super) struct Raw {
    pub(super) file: File,
    pub(super) path: std::path::PathBuf,
    pub(super) eof: u64,
    root: u64,
    /// Superblock bytes (version 2/3), for the end-of-file update.
    superblock: Vec<u8>,
    /// Group path → its links (name → object address).
    groups: HashMap<String, HashMap<String, u64>>,
}

impl Raw {
    pub(super) fn open(path: &Path) -> io::Result<Raw> {
        let mut file = OpenOptions::new().read(true).write(true).open(path)?;
        let mut sb = vec![0u8; 48];
        file.read_exact(&mut sb)?;
        if &sb[..8] != b"\x89HDF\r\n\x1a\n" {
            return Err(bad(path, "no HDF5 signature at offset 0"));
        }
        if !(sb[8] == 2 || sb[8] == 3) || sb[9] != 8 || sb[10] != 8 {
            return Err(bad(
                path,
                format!(
                    "superblock version {} with {}-byte addresses is not supported",
                    sb[8], sb[9]
                ),
            ));
        }
        check_sum(path, &sb, "superblock")?;
        let base = le64(&sb[12..20]);
        if base != 0 {
            return Err(bad(path, "a base address other than 0 is not supported"));
        }
        let eof = le64(&sb[28..36]);
        let root = le64(&sb[36..44]);
        let len = file.seek(SeekFrom::End(0))?;
        if len < eof {
            return Err(bad(
                path,
                "the file is shorter than its end-of-file address",
            ));
        }
        Ok(Raw {
            file,
            path: path.to_path_buf(),
            eof,
            root,
            superblock: sb,
            groups: HashMap::new(),
        })
    }

    fn read_at(&mut self, addr: u64, len: usize) -> io::Result<Vec<u8>> {
        if addr.checked_add(len as u64).is_none_or(|e| e > self.eof) {
            return Err(bad(
                &self.path,
                format!("block at {addr:#x} + {len} is past the end of the file"),
            ));
        }
        let mut buf = vec![0u8; len];
        self.file.seek(SeekFrom::Start(addr))?;
        self.file.read_exact(&mut buf)?;
        Ok(buf)
    }

    pub(super) fn write_at(&mut self, addr: u64, bytes: &[u8]) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(addr))?;
        self.file.write_all(bytes)
    }

    pub(super) fn set_eof(&mut self, eof: u64) -> io::Result<()> {
        self.superblock[28..36].copy_from_slice(&eof.to_le_bytes());
        let sum = lookup3(&self.superblock[..44]);
        self.superblock[44..48].copy_from_slice(&sum.to_le_bytes());
        let sb = self.superblock.clone();
        self.write_at(0, &sb)?;
        self.eof = eof;
        Ok(())
    }

    /// Object header address of a root-relative path; `None` if a link on
    /// the way does not exist.
    pub(super) fn resolve(&mut self, path: &str) -> io::Result<Option<u64>> {
        let mut addr = self.root;
        let mut here = String::new();
        for name in path.split('/').filter(|s| !s.is_empty()) {
            if !self.groups.contains_key(&here) {
                let links = self.header(addr)?.links(self)?;
                self.groups.insert(here.clone(), links);
            }
            match self.groups[&here].get(name) {
                Some(&a) => addr = a,
                None => return Ok(None),
            }
            here = join(&here, name);
        }
        Ok(Some(addr))
    }

    /// Parses the version-2 object header at `addr` (chunk 0 and its
    /// continuation chunks).
    pub(super) fn header(&mut self, addr: u64) -> io::Result<Header> {
        let head = self.read_at(addr, 6.min((self.eof - addr) as usize))?;
        if head.len() < 6 || &head[..4] != b"OHDR" || head[4] != 2 {
            return Err(bad(
                &self.path,
                format!("object at {addr:#x} is not a version-2 object header"),
            ));
        }
        let flags = head[5];
        let mut pre = 6;
        if flags & 0x20 != 0 {
            pre += 16; // access, modification, change, birth times
        }
        if flags & 0x10 != 0 {
            pre += 4; // attribute phase change values
        }
        let width = 1usize << (flags & 3);
        let size_field = self.read_at(addr + pre as u64, width)?;
        let size = size_field
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)) as usize;
        let body = pre + width;
        let chunk0 = self.read_at(addr, body + size + 4)?;
        check_sum(&self.path, &chunk0, "object header")?;
        let order = flags & 0x04 != 0;
        let mut h = Header {
            addr,
            flags,
            chunk0,
            body,
            messages: Vec::new(),
            conts: Vec::new(),
        };
        h.scan(Where::Chunk0, &self.path, order)?;
        let mut k = 0;
        while k < h.conts.len() {
            let (at, len) = h.conts[k];
            let chunk = self.read_at(at, len as usize)?;
            if len < 8 || &chunk[..4] != b"OCHK" {
                return Err(bad(
                    &self.path,
                    format!("bad continuation chunk at {at:#x}"),
                ));
            }
            check_sum(&self.path, &chunk, "continuation chunk")?;
            h.scan(Where::Cont(chunk), &self.path, order)?;
            k += 1;
        }
        Ok(h)
    }
}

/// Where a parsed message sits.
enum Where {
    Chunk0,
    Cont(Vec<u8>),
}

/// One message of a header: type, flags, and its bytes (header included).
struct Message {
    kind: u8,
    /// Offset of the message (its header) in chunk 0, if it is there.
    at: Option<usize>,
    /// The whole message: header and body.
    bytes: Vec<u8>,
    hdr: usize,
}

impl Message {
    fn body(&self) -> &[u8] {
        &self.bytes[self.hdr..]
    }
}

pub(super) struct Header {
    pub(super) addr: u64,
    flags: u8,
    chunk0: Vec<u8>,
    /// Offset of the first message in chunk 0.
    body: usize,
    messages: Vec<Message>,
    /// Continuation chunks found (address, length).
    conts: Vec<(u64, u64)>,
}

impl Header {
    fn hdr_len(&self) -> usize {
        if self.flags & 0x04 != 0 {
            6
        } else {
            4
        }
    }

    fn scan(&mut self, w: Where, path: &Path, order: bool) -> io::Result<()> {
        let hdr = if order { 6 } else { 4 };
        let (bytes, start, end, in0) = match &w {
            Where::Chunk0 => (&self.chunk0[..], self.body, self.chunk0.len() - 4, true),
            Where::Cont(c) => (&c[..], 4, c.len() - 4, false),
        };
        let mut p = start;
        let mut found = Vec::new();
        while p + hdr <= end {
            let kind = bytes[p];
            let size = usize::from(u16::from_le_bytes([bytes[p + 1], bytes[p + 2]]));
            if p + hdr + size > end {
                return Err(bad(
                    path,
                    format!("message overruns its chunk in header {:#x}", self.addr),
                ));
            }
            let m = Message {
                kind,
                at: in0.then_some(p),
                bytes: bytes[p..p + hdr + size].to_vec(),
                hdr,
            };
            if kind == MSG_CONTINUATION {
                let b = m.body();
                if b.len() < CONT_BODY {
                    return Err(bad(path, "short continuation message"));
                }
                found.push((le64(&b[..8]), le64(&b[8..16])));
            }
            self.messages.push(m);
            p += hdr + size;
        }
        self.conts.extend(found);
        Ok(())
    }

    /// The links of a group header (compact storage only).
    fn links(&self, raw: &Raw) -> io::Result<HashMap<String, u64>> {
        let mut out = HashMap::new();
        for m in &self.messages {
            match m.kind {
                MSG_LINK => {
                    if let Some((name, addr)) = parse_link(m.body()) {
                        out.insert(name, addr);
                    }
                }
                MSG_LINK_INFO => {
                    let b = m.body();
                    let off = if b.len() > 1 && b[1] & 1 != 0 { 10 } else { 2 };
                    if b.len() >= off + 8 && le64(&b[off..off + 8]) != UNDEF {
                        return Err(bad(&raw.path, "dense link storage is not supported"));
                    }
                }
                MSG_SYMBOL_TABLE => {
                    return Err(bad(
                        &raw.path,
                        "version-1 (symbol table) groups are not supported",
                    ));
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Rank of the dataspace message, if the header has one.
    pub(super) fn rank(&self) -> Option<usize> {
        self.messages
            .iter()
            .find(|m| m.kind == MSG_DATASPACE)
            .and_then(|m| m.body().get(1))
            .map(|&r| usize::from(r))
    }

    pub(super) fn has_attribute(&self, name: &str) -> bool {
        self.messages
            .iter()
            .filter(|m| m.kind == MSG_ATTRIBUTE)
            .any(|m| attribute_name(m.body()).as_deref() == Some(name))
    }

    /// Plans the edit that adds `attrs` (attribute message bodies): returns
    /// chunk 0 with the tail to be replaced by a continuation message, and the
    /// new continuation chunk (moved messages + the attributes + checksum).
    pub(super) fn extend(&self, attrs: &[Vec<u8>]) -> io::Result<(Chunk0, Vec<u8>)> {
        let hdr = self.hdr_len();
        let end = self.chunk0.len() - 4;
        let need = hdr + CONT_BODY;
        // Trailing messages of chunk 0, from the last one back, until they
        // free room for the continuation message.
        let in0: Vec<&Message> = self.messages.iter().filter(|m| m.at.is_some()).collect();
        let mut cut = end;
        let mut moved: Vec<&Message> = Vec::new();
        for m in in0.iter().rev() {
            if end - cut >= need {
                break;
            }
            cut = m.at.unwrap_or(cut);
            moved.push(m);
        }
        if end - cut < need {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("object header at {:#x} is too small to extend", self.addr),
            ));
        }
        moved.reverse();
        let mut ochk = b"OCHK".to_vec();
        for m in moved.iter().filter(|m| m.kind != MSG_NIL) {
            ochk.extend_from_slice(&m.bytes);
        }
        let mut next_order = self.max_creation_order().map_or(0, |o| o + 1);
        for a in attrs {
            if a.len() > MAX_MESSAGE {
                return Err(io::Error::other("attribute message over 64 KiB"));
            }
            ochk.push(MSG_ATTRIBUTE);
            ochk.extend_from_slice(&(a.len() as u16).to_le_bytes());
            ochk.push(0);
            if hdr == 6 {
                ochk.extend_from_slice(&next_order.to_le_bytes());
                next_order = next_order.wrapping_add(1);
            }
            ochk.extend_from_slice(a);
        }
        let sum = lookup3(&ochk);
        ochk.extend_from_slice(&sum.to_le_bytes());
        Ok((
            Chunk0 {
                bytes: self.chunk0.clone(),
                cut,
                end,
                hdr,
            },
            ochk,
        ))
    }

    fn max_creation_order(&self) -> Option<u16> {
        (self.hdr_len() == 6)
            .then(|| {
                self.messages
                    .iter()
                    .map(|m| u16::from_le_bytes([m.bytes[4], m.bytes[5]]))
                    .max()
            })
            .flatten()
    }
}

/// Chunk 0 of a header being edited.
pub(super) struct Chunk0 {
    bytes: Vec<u8>,
    /// Where the continuation message goes (the moved messages started here).
    cut: usize,
    /// End of the message area (the checksum follows).
    end: usize,
    hdr: usize,
}

impl Chunk0 {
    /// Chunk 0 with a continuation message to `(at, len)` at `cut`, the rest
    /// a NIL message (or a gap shorter than a message header), re-checksummed.
    pub(super) fn finish(mut self, at: u64, len: u64) -> Vec<u8> {
        let mut p = self.cut;
        let b = &mut self.bytes;
        b[p] = MSG_CONTINUATION;
        b[p + 1..p + 3].copy_from_slice(&(CONT_BODY as u16).to_le_bytes());
        b[p + 3] = 0;
        if self.hdr == 6 {
            b[p + 4..p + 6].copy_from_slice(&0u16.to_le_bytes());
        }
        p += self.hdr;
        b[p..p + 8].copy_from_slice(&at.to_le_bytes());
        b[p + 8..p + 16].copy_from_slice(&len.to_le_bytes());
        p += CONT_BODY;
        let rest = self.end - p;
        b[p..self.end].fill(0);
        if rest >= self.hdr {
            // A NIL message over the rest (type 0 is already in place).
            b[p + 1..p + 3].copy_from_slice(&((rest - self.hdr) as u16).to_le_bytes());
        }
        let sum = lookup3(&b[..self.end]);
        b[self.end..self.end + 4].copy_from_slice(&sum.to_le_bytes());
        self.bytes
    }
}

/// (name, address) of a hard link message body; `None` for soft/external links.
fn parse_link(b: &[u8]) -> Option<(String, u64)> {
    if b.len() < 2 || b[0] != 1 {
        return None;
    }
    let flags = b[1];
    let mut p = 2;
    let mut kind = 0u8;
    if flags & 0x08 != 0 {
        kind = *b.get(p)?;
        p += 1;
    }
    if flags & 0x04 != 0 {
        p += 8;
    }
    if flags & 0x10 != 0 {
        p += 1;
    }
    let w = 1usize << (flags & 3);
    let len = b
        .get(p..p + w)?
        .iter()
        .rev()
        .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
    p += w;
    let name = String::from_utf8(b.get(p..p + len)?.to_vec()).ok()?;
    p += len;
    if kind != 0 {
        return None;
    }
    Some((name, le64(b.get(p..p + 8)?)))
}

/// Name of an attribute message body (versions 1–3).
fn attribute_name(b: &[u8]) -> Option<String> {
    let version = *b.first()?;
    let name_len = usize::from(u16::from_le_bytes([*b.get(2)?, *b.get(3)?]));
    let at = match version {
        1 => 8,
        2 => 8,
        3 => 9,
        _ => return None,
    };
    let raw = b.get(at..at + name_len)?;
    let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
    String::from_utf8(raw.to_vec()).ok()
}

pub(super) fn le64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

fn check_sum(path: &Path, block: &[u8], what: &str) -> io::Result<()> {
    let n = block.len() - 4;
    let stored = u32::from_le_bytes([block[n], block[n + 1], block[n + 2], block[n + 3]]);
    if lookup3(&block[..n]) != stored {
        return Err(bad(path, format!("{what} checksum mismatch")));
    }
    Ok(())
}
