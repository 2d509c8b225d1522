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
mod encode;
mod raw;

pub use encode::lookup3;
use encode::{dimension_list, global_heap, reference_list, string_attribute};
use raw::{Raw, Tail};
use std::collections::HashMap;
use std::io;
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

/// Last component of a path.
fn base_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::encode::*;
    use super::raw::le64;
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
