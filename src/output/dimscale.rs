//! HDF5 dimension scales (the HDF5 Dimension Scale specification 1.0, as the
//! C library's `H5DSattach_scale` and netCDF-4 write them), attached by one
//! pass over the closed file.
//!
//! A *dimension scale* is a 1-D dataset marked `CLASS = "DIMENSION_SCALE"`
//! (written with the dataset, see [`super::cf`]). Attaching it to dimension
//! `j` of a dataset takes two attributes that hold **object references**:
//!
//! - on the dataset, `DIMENSION_LIST`: one element per dimension, each a
//!   variable-length sequence of references to the scales of that dimension
//!   (`H5T_VLEN { H5T_STD_REF_OBJ }`; the sequences live in a global heap);
//! - on the scale, `REFERENCE_LIST`: one element per attached dataset, a
//!   compound `{ dataset: H5T_STD_REF_OBJ, dimension: int32 }`.
//!
//! h5py (`ds.dims`), h5netcdf and xarray (named dimensions and coordinates),
//! netCDF-C and the HDF5 tools read them.
//!
//! # Why a pass of our own
//!
//! `hdf5-pure` =0.47.0 (the newest release) writes neither attribute: its
//! [`hdf5_pure::AttrValue`] has no reference or compound variant, and the
//! references it repoints when a commit moves an object header skip
//! variable-length ones. So the attributes are written here, at the byte
//! level, once `hdf5-pure` has closed the file for good ([`write`] is the
//! last thing [`super::hdf5::Hdf5Sink::finish`] does): nothing moves an object
//! header afterwards, so the references stay valid. What this module handles
//! is exactly what `hdf5-pure` writes: superblock version 2 or 3, 8-byte
//! addresses and lengths, version-2 object headers, compact link storage.
//! Anything else is refused with an error and the file is left as it was.
//!
//! # How an attribute is added to an existing object header
//!
//! `hdf5-pure` writes each object header as one chunk with no free space. The
//! trailing messages of that chunk (at least 20 bytes of them) move to a new
//! continuation chunk (`OCHK`) at the end of the file, followed by the new
//! attribute messages; their place in chunk 0 takes a continuation message
//! (and a NIL message or gap for the rest); chunk 0's checksum is updated.
//!
//! # Crash safety
//!
//! The new chunks and global heap collections are written past the end of
//! the file first, then the superblock's end-of-file address, then each
//! header's chunk 0 in place (one write each). A process killed at any point
//! leaves a valid file in which some datasets have their scales and the
//! others have none.
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Undefined address.
const UNDEF: u64 = u64::MAX;
/// Message types.
const MSG_NIL: u8 = 0x00;
const MSG_DATASPACE: u8 = 0x01;
const MSG_LINK_INFO: u8 = 0x02;
const MSG_LINK: u8 = 0x06;
const MSG_ATTRIBUTE: u8 = 0x0C;
const MSG_CONTINUATION: u8 = 0x10;
const MSG_SYMBOL_TABLE: u8 = 0x11;
/// Size of a continuation message body: address + length.
const CONT_BODY: usize = 16;
/// Largest message body a version-2 header can hold (2-byte size field).
const MAX_MESSAGE: usize = 0xFFFF;
/// Objects per global heap collection (indices are 16-bit).
const HEAP_OBJECTS: usize = 4000;
/// Smallest global heap collection (`H5HG_MINSIZE`: the C library reads
/// this much first).
const HEAP_MIN: usize = 4096;

/// Which scales go on which dataset: the plan of [`write`]. Paths are
/// root-relative HDF5 paths (`tran/v(out)`, `sweep/measures/vdc`), with the
/// link names exactly as written (escaped by
/// [`super::hdf5::dataset_name`]).
#[derive(Debug, Clone, Default)]
pub struct DimPlan {
    /// Dataset path → one scale path per dimension.
    datasets: Vec<(String, Vec<String>)>,
    /// Scales that no dataset may use (a coordinate alone in its group).
    scales: Vec<String>,
}

impl DimPlan {
    pub fn new() -> DimPlan {
        DimPlan::default()
    }

    /// Attaches `scales[j]` to dimension `j` of `dataset`.
    pub fn attach(&mut self, dataset: &str, scales: &[String]) {
        self.datasets.push((dataset.to_string(), scales.to_vec()));
    }

    /// A group whose datasets all run along one axis, the dataset `scale` of
    /// the same group (an analysis: `time`, `frequency`, the swept source, or
    /// the frequency axis of a harmonic-balance group): every other name in
    /// `datasets` gets it as its only dimension. `datasets` may include the
    /// scale itself, which is skipped.
    pub fn axis_group(&mut self, group: &str, scale: &str, datasets: &[String]) {
        let scale_path = join(group, scale);
        self.scale(&scale_path);
        for d in datasets.iter().filter(|d| *d != scale) {
            self.attach(&join(group, d), std::slice::from_ref(&scale_path));
        }
    }

    /// Marks the 1-D dataset `scale` as a dimension scale even if nothing
    /// is attached to it.
    pub fn scale(&mut self, scale: &str) {
        self.scales.push(scale.to_string());
    }

    pub fn is_empty(&self) -> bool {
        self.datasets.is_empty() && self.scales.is_empty()
    }

    pub fn len(&self) -> usize {
        self.datasets.len()
    }
}

/// `group/name` (`name` alone at the root).
pub fn join(group: &str, name: &str) -> String {
    let g = group.trim_matches('/');
    if g.is_empty() {
        name.to_string()
    } else {
        format!("{g}/{name}")
    }
}

fn bad(path: &Path, msg: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: dimension scales: {msg}", path.display()),
    )
}

/// Writes `DIMENSION_LIST` on every dataset of the plan and `CLASS`, `NAME`
/// and `REFERENCE_LIST` on every scale, in the closed file at `path`.
/// Datasets or scales the file does not hold (an analysis that never wrote
/// a point) are left out; an attachment whose number of scales differs from
/// the dataset's rank, or a scale that is not 1-D, is an error. Returns the
/// number of datasets that got their scales.
pub fn write(path: &Path, plan: &DimPlan) -> io::Result<usize> {
    if plan.is_empty() {
        return Ok(0);
    }
    let mut h5 = Raw::open(path)?;
    let found = Resolved::new(&mut h5, plan)?;
    let mut tail = Tail::new(h5.eof);
    let edits = found.attributes(&mut tail);
    if edits.is_empty() {
        return Ok(0);
    }
    let patches = extend_headers(&mut h5, &found, edits, &mut tail)?;
    // 1. the new blocks, 2. the end-of-file address, 3. the headers.
    h5.write_at(tail.start, &tail.bytes)?;
    h5.set_eof(tail.end())?;
    for (addr, bytes) in patches {
        h5.write_at(addr, &bytes)?;
    }
    h5.file.sync_all()?;
    Ok(found.datasets.len())
}

/// The plan in object-header addresses.
struct Resolved {
    /// (dataset, its scale per dimension), for those whose objects all exist.
    datasets: Vec<(u64, Vec<u64>)>,
    /// Every scale that exists, with its name, in plan order.
    scales: Vec<(u64, String)>,
    /// Scale → (dataset, dimension) attached to it.
    back: HashMap<u64, Vec<(u64, u32)>>,
}

impl Resolved {
    fn new(h5: &mut Raw, plan: &DimPlan) -> io::Result<Resolved> {
        let mut datasets = Vec::with_capacity(plan.len());
        for (ds, scales) in &plan.datasets {
            let Some(a) = h5.resolve(ds)? else { continue };
            let mut s = Vec::with_capacity(scales.len());
            for sc in scales {
                match h5.resolve(sc)? {
                    Some(x) => s.push(x),
                    None => break,
                }
            }
            if s.len() == scales.len() && !scales.is_empty() {
                datasets.push((a, s));
            }
        }
        let mut back: HashMap<u64, Vec<(u64, u32)>> = HashMap::new();
        let mut scales = Vec::new();
        let all = plan
            .datasets
            .iter()
            .flat_map(|(_, s)| s)
            .chain(&plan.scales);
        for sc in all {
            if let Some(a) = h5.resolve(sc)? {
                if let std::collections::hash_map::Entry::Vacant(e) = back.entry(a) {
                    e.insert(Vec::new());
                    scales.push((a, base_name(sc)));
                }
            }
        }
        for (ds, sc) in &datasets {
            for (j, s) in sc.iter().enumerate() {
                if let Some(e) = back.get_mut(s) {
                    e.push((*ds, j as u32));
                }
            }
        }
        Ok(Resolved {
            datasets,
            scales,
            back,
        })
    }

    /// The attribute messages to add, per object; the global heap
    /// collections they point into go to `tail`. One heap object per
    /// (dataset, dimension): the one reference of that dimension's sequence.
    fn attributes(&self, tail: &mut Tail) -> Vec<(u64, Vec<u8>)> {
        let objects: Vec<(usize, u64)> = self
            .datasets
            .iter()
            .enumerate()
            .flat_map(|(i, (_, scales))| scales.iter().map(move |s| (i, *s)))
            .collect();
        let mut elements: Vec<Vec<(u64, u32)>> = vec![Vec::new(); self.datasets.len()];
        for batch in objects.chunks(HEAP_OBJECTS) {
            let heap = tail.put(&global_heap(batch.iter().map(|(_, s)| s.to_le_bytes())));
            for (k, (i, _)) in batch.iter().enumerate() {
                elements[*i].push((heap, k as u32 + 1));
            }
        }
        let mut edits: Vec<(u64, Vec<u8>)> = self
            .datasets
            .iter()
            .zip(&elements)
            .map(|((ds, _), el)| (*ds, dimension_list(el)))
            .collect();
        for (s, name) in &self.scales {
            edits.push((*s, string_attribute("CLASS", "DIMENSION_SCALE")));
            edits.push((*s, string_attribute("NAME", name)));
            // One attribute message holds at most 64 KiB: beyond ~5 400
            // attached datasets the back references are left out (readers
            // need only DIMENSION_LIST; h5netcdf then takes the scale's own
            // length).
            let refs = &self.back[s];
            if let Some(attr) = reference_list(refs).filter(|_| !refs.is_empty()) {
                edits.push((*s, attr));
            }
        }
        edits
    }

    /// The number of dimensions object `addr` must have, if the plan says.
    fn rank(&self, addr: u64) -> Option<usize> {
        if self.back.contains_key(&addr) {
            return Some(1);
        }
        self.datasets
            .iter()
            .find(|(d, _)| *d == addr)
            .map(|(_, s)| s.len())
    }
}

/// Each header edited once, with all its new attributes: the continuation
/// chunks go to `tail`; returns the new chunk 0 of every header.
fn extend_headers(
    h5: &mut Raw,
    found: &Resolved,
    edits: Vec<(u64, Vec<u8>)>,
    tail: &mut Tail,
) -> io::Result<Vec<(u64, Vec<u8>)>> {
    let mut by_header: Vec<(u64, Vec<Vec<u8>>)> = Vec::new();
    let mut index: HashMap<u64, usize> = HashMap::new();
    for (addr, attr) in edits {
        let k = *index.entry(addr).or_insert_with(|| {
            by_header.push((addr, Vec::new()));
            by_header.len() - 1
        });
        by_header[k].1.push(attr);
    }
    let ranks: HashMap<u64, usize> = by_header
        .iter()
        .filter_map(|(a, _)| found.rank(*a).map(|r| (*a, r)))
        .collect();
    let mut patches = Vec::with_capacity(by_header.len());
    for (addr, attrs) in &by_header {
        let header = h5.header(*addr)?;
        let taken = ["DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"];
        if taken.iter().any(|a| header.has_attribute(a)) {
            return Err(bad(
                &h5.path,
                format!("object at {addr:#x} already has dimension-scale attributes"),
            ));
        }
        if let (Some(want), Some(have)) = (ranks.get(addr), header.rank()) {
            if *want != have {
                return Err(bad(
                    &h5.path,
                    format!("object at {addr:#x} has {have} dimensions, the plan {want}"),
                ));
            }
        }
        let (chunk0, ochk) = header.extend(attrs)?;
        let at = tail.put(&ochk);
        patches.push((header.addr, chunk0.finish(at, ochk.len() as u64)));
    }
    Ok(patches)
}

/// Bytes to be written from `start` on (the old end of file), 8-aligned.
struct Tail {
    start: u64,
    bytes: Vec<u8>,
}

impl Tail {
    fn new(eof: u64) -> Tail {
        let start = eof.next_multiple_of(8);
        Tail {
            start,
            bytes: Vec::new(),
        }
    }
    /// Appends a block; returns its address.
    fn put(&mut self, block: &[u8]) -> u64 {
        while !self.bytes.len().is_multiple_of(8) {
            self.bytes.push(0);
        }
        let at = self.start + self.bytes.len() as u64;
        self.bytes.extend_from_slice(block);
        at
    }
    fn end(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }
}

/// The file, opened for the pass.
struct Raw {
    file: File,
    path: std::path::PathBuf,
    eof: u64,
    root: u64,
    /// Superblock bytes (version 2/3), for the end-of-file update.
    superblock: Vec<u8>,
    /// Group path → its links (name → object address).
    groups: HashMap<String, HashMap<String, u64>>,
}

impl Raw {
    fn open(path: &Path) -> io::Result<Raw> {
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

    fn write_at(&mut self, addr: u64, bytes: &[u8]) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(addr))?;
        self.file.write_all(bytes)
    }

    fn set_eof(&mut self, eof: u64) -> io::Result<()> {
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
    fn resolve(&mut self, path: &str) -> io::Result<Option<u64>> {
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
    fn header(&mut self, addr: u64) -> io::Result<Header> {
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

struct Header {
    addr: u64,
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
    fn rank(&self) -> Option<usize> {
        self.messages
            .iter()
            .find(|m| m.kind == MSG_DATASPACE)
            .and_then(|m| m.body().get(1))
            .map(|&r| usize::from(r))
    }

    fn has_attribute(&self, name: &str) -> bool {
        self.messages
            .iter()
            .filter(|m| m.kind == MSG_ATTRIBUTE)
            .any(|m| attribute_name(m.body()).as_deref() == Some(name))
    }

    /// Plans the edit that adds `attrs` (attribute message bodies): returns
    /// chunk 0 with the tail to be replaced by a continuation message, and the
    /// new continuation chunk (moved messages + the attributes + checksum).
    fn extend(&self, attrs: &[Vec<u8>]) -> io::Result<(Chunk0, Vec<u8>)> {
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
struct Chunk0 {
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
    fn finish(mut self, at: u64, len: u64) -> Vec<u8> {
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

/// Body of a version-3 attribute message; `dims` None for a scalar.
fn attribute(name: &str, datatype: &[u8], dims: Option<&[u64]>, data: &[u8]) -> Vec<u8> {
    let space = dataspace(dims);
    let mut b = vec![3u8, 0];
    b.extend_from_slice(&(name.len() as u16 + 1).to_le_bytes());
    b.extend_from_slice(&(datatype.len() as u16).to_le_bytes());
    b.extend_from_slice(&(space.len() as u16).to_le_bytes());
    b.push(0); // ASCII name
    b.extend_from_slice(name.as_bytes());
    b.push(0);
    b.extend_from_slice(datatype);
    b.extend_from_slice(&space);
    b.extend_from_slice(data);
    b
}

/// A scalar fixed-length ASCII string attribute, null-terminated (what the
/// C library's `H5DSis_scale` and `H5DSget_scale_name` insist on; hdf5-pure
/// writes only null-padded ones).
fn string_attribute(name: &str, value: &str) -> Vec<u8> {
    let size = value.len() as u32 + 1;
    // String class (3), version 1, null-terminated, ASCII.
    let mut dt = vec![0x13, 0x00, 0, 0];
    dt.extend_from_slice(&size.to_le_bytes());
    let mut data = value.as_bytes().to_vec();
    data.push(0);
    attribute(name, &dt, None, &data)
}

/// Last component of a path.
fn base_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// Version-2 dataspace: simple over `dims`, or scalar.
fn dataspace(dims: Option<&[u64]>) -> Vec<u8> {
    let Some(dims) = dims else {
        return vec![2, 0, 0, 0];
    };
    let mut b = vec![2u8, dims.len() as u8, 0, 1];
    for d in dims {
        b.extend_from_slice(&d.to_le_bytes());
    }
    b
}

/// `H5T_STD_REF_OBJ`: reference class (7), version 1, object reference, 8 bytes.
fn object_reference_type() -> Vec<u8> {
    vec![0x17, 0, 0, 0, 8, 0, 0, 0]
}

/// `DIMENSION_LIST` of a dataset: per dimension, the global heap object
/// (collection address, index) that holds the reference to its scale.
fn dimension_list(elements: &[(u64, u32)]) -> Vec<u8> {
    // H5T_VLEN (class 9, version 1) of sequences, element 16 bytes
    // (length, collection address, object index), over object references.
    let mut dt = vec![0x19, 0, 0, 0, 16, 0, 0, 0];
    dt.extend_from_slice(&object_reference_type());
    let mut data = Vec::with_capacity(16 * elements.len());
    for (heap, index) in elements {
        data.extend_from_slice(&1u32.to_le_bytes());
        data.extend_from_slice(&heap.to_le_bytes());
        data.extend_from_slice(&index.to_le_bytes());
    }
    attribute("DIMENSION_LIST", &dt, Some(&[elements.len() as u64]), &data)
}

/// `REFERENCE_LIST` of a scale: `{dataset: object reference, dimension:
/// int32}` per attached dataset; `None` if it does not fit one message.
fn reference_list(refs: &[(u64, u32)]) -> Option<Vec<u8>> {
    // Compound (class 6) version 3, 2 members, 12 bytes.
    let mut dt = vec![0x36, 2, 0, 0, 12, 0, 0, 0];
    dt.extend_from_slice(b"dataset\0");
    dt.push(0); // offset (1 byte: the compound is < 256 bytes)
    dt.extend_from_slice(&object_reference_type());
    dt.extend_from_slice(b"dimension\0");
    dt.push(8);
    // Fixed point (class 0) version 1, little-endian, signed, 4 bytes,
    // bit offset 0, precision 32.
    dt.extend_from_slice(&[0x10, 0x08, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0]);
    let mut data = Vec::with_capacity(12 * refs.len());
    for (ds, j) in refs {
        data.extend_from_slice(&ds.to_le_bytes());
        data.extend_from_slice(&j.to_le_bytes());
    }
    let msg = attribute("REFERENCE_LIST", &dt, Some(&[refs.len() as u64]), &data);
    (msg.len() <= MAX_MESSAGE).then_some(msg)
}

/// A global heap collection (`GCOL`, version 1) holding `objects` as objects
/// 1, 2, …, at least [`HEAP_MIN`] bytes, the rest a free-space object.
fn global_heap<O: AsRef<[u8]>>(objects: impl Iterator<Item = O>) -> Vec<u8> {
    let mut b = b"GCOL".to_vec();
    b.extend_from_slice(&[1, 0, 0, 0]);
    b.extend_from_slice(&[0; 8]); // collection size, below
    for (k, o) in objects.enumerate() {
        let o = o.as_ref();
        b.extend_from_slice(&(k as u16 + 1).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes()); // reference count
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&(o.len() as u64).to_le_bytes());
        b.extend_from_slice(o);
        b.resize(b.len().next_multiple_of(8), 0);
    }
    let total = (b.len() + 16).max(HEAP_MIN);
    let free = (total - b.len()) as u64;
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&free.to_le_bytes());
    b.resize(total, 0);
    b[8..16].copy_from_slice(&(total as u64).to_le_bytes());
    b
}

fn le64(b: &[u8]) -> u64 {
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

/// Bob Jenkins' lookup3 `hashlittle` with initial value 0: the checksum of
/// HDF5 metadata (`H5_checksum_lookup3`).
pub fn lookup3(data: &[u8]) -> u32 {
    fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
        *a = a.wrapping_sub(*c);
        *a ^= c.rotate_left(4);
        *c = c.wrapping_add(*b);
        *b = b.wrapping_sub(*a);
        *b ^= a.rotate_left(6);
        *a = a.wrapping_add(*c);
        *c = c.wrapping_sub(*b);
        *c ^= b.rotate_left(8);
        *b = b.wrapping_add(*a);
        *a = a.wrapping_sub(*c);
        *a ^= c.rotate_left(16);
        *c = c.wrapping_add(*b);
        *b = b.wrapping_sub(*a);
        *b ^= a.rotate_left(19);
        *a = a.wrapping_add(*c);
        *c = c.wrapping_sub(*b);
        *c ^= b.rotate_left(4);
        *b = b.wrapping_add(*a);
    }
    fn final_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
        *c ^= *b;
        *c = c.wrapping_sub(b.rotate_left(14));
        *a ^= *c;
        *a = a.wrapping_sub(c.rotate_left(11));
        *b ^= *a;
        *b = b.wrapping_sub(a.rotate_left(25));
        *c ^= *b;
        *c = c.wrapping_sub(b.rotate_left(16));
        *a ^= *c;
        *a = a.wrapping_sub(c.rotate_left(4));
        *b ^= *a;
        *b = b.wrapping_sub(a.rotate_left(14));
        *c ^= *b;
        *c = c.wrapping_sub(b.rotate_left(24));
    }
    let word = |k: &[u8]| -> u32 {
        k.iter()
            .enumerate()
            .fold(0u32, |acc, (i, &x)| acc | (u32::from(x) << (8 * i)))
    };
    let init = 0xdead_beefu32.wrapping_add(data.len() as u32);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut k = data;
    while k.len() > 12 {
        a = a.wrapping_add(word(&k[0..4]));
        b = b.wrapping_add(word(&k[4..8]));
        c = c.wrapping_add(word(&k[8..12]));
        mix(&mut a, &mut b, &mut c);
        k = &k[12..];
    }
    if k.is_empty() {
        return c;
    }
    a = a.wrapping_add(word(&k[..k.len().min(4)]));
    if k.len() > 4 {
        b = b.wrapping_add(word(&k[4..k.len().min(8)]));
    }
    if k.len() > 8 {
        c = c.wrapping_add(word(&k[8..]));
    }
    final_mix(&mut a, &mut b, &mut c);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup3_matches_the_reference_values() {
        // From lookup3.c's driver5(): hashlittle("", 0, 0) = 0xdeadbeef and
        // hashlittle("Four score and seven years ago", 30, 0) = 0x17770551.
        assert_eq!(lookup3(b""), 0xdead_beef);
        assert_eq!(lookup3(b"Four score and seven years ago"), 0x1777_0551);
    }

    #[test]
    fn heap_is_padded_to_the_minimum_collection_size() {
        let h = global_heap([vec![1u8; 8], vec![2u8; 16]].iter());
        assert_eq!(h.len(), HEAP_MIN);
        assert_eq!(le64(&h[8..16]), HEAP_MIN as u64);
        // object 1 at 16, object 2 after 16 + 8 bytes
        assert_eq!(&h[16..18], &1u16.to_le_bytes());
        assert_eq!(&h[40..42], &2u16.to_le_bytes());
    }

    #[test]
    fn join_paths() {
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("/tran/", "time"), "tran/time");
    }
}
