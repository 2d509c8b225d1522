//! Encodings of [`super`]: the attribute messages (`DIMENSION_LIST`,
//! `REFERENCE_LIST`, null-terminated strings), the global heap collection
//! and the lookup3 checksum of HDF5 metadata.
use super::{HEAP_MIN, MAX_MESSAGE};

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
pub(super) fn string_attribute(name: &str, value: &str) -> Vec<u8> {
    let size = value.len() as u32 + 1;
    // String class (3), version 1, null-terminated, ASCII.
    let mut dt = vec![0x13, 0x00, 0, 0];
    dt.extend_from_slice(&size.to_le_bytes());
    let mut data = value.as_bytes().to_vec();
    data.push(0);
    attribute(name, &dt, None, &data)
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
pub(super) fn dimension_list(elements: &[(u64, u32)]) -> Vec<u8> {
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
pub(super) fn reference_list(refs: &[(u64, u32)]) -> Option<Vec<u8>> {
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
pub(super) fn global_heap<O: AsRef<[u8]>>(objects: impl Iterator<Item = O>) -> Vec<u8> {
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
