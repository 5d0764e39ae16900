//! The short lists of headers that signing sorts and writes: inline up to a dozen, so that
//! neither a request view nor a signature allocates for them.

use std::fmt;

/// A header to sign: name, value, and whether the value is known to be canonical already (no
/// space to trim or collapse: the values signing adds itself), so its scan can be skipped.
pub(crate) type SignedHeader<'h> = (&'h str, &'h [u8], bool);

/// What a header list holds: a header with a name.
pub(crate) trait HeaderEntry: Copy {
    /// A placeholder for unused inline slots.
    const BLANK: Self;
    fn name(&self) -> &str;
}

impl HeaderEntry for (&str, &[u8]) {
    const BLANK: Self = ("", &[]);
    fn name(&self) -> &str {
        self.0
    }
}

impl HeaderEntry for SignedHeader<'_> {
    const BLANK: Self = ("", &[], false);
    fn name(&self) -> &str {
        self.0
    }
}

/// How many headers signing keeps on the stack before their list moves to the heap: a request's
/// own headers (a client sends a handful) plus the up to four the signature adds.
pub(crate) const INLINE_HEADERS: usize = 12;

/// A list of headers: inline up to `N` (ordinary requests), so neither the request view nor
/// signing allocates for them.
#[derive(Clone)]
pub(crate) struct HeaderList<T, const N: usize = INLINE_HEADERS> {
    inline: [T; N],
    len: usize,
    heap: Vec<T>,
}

impl<T: HeaderEntry, const N: usize> HeaderList<T, N> {
    #[inline]
    pub(crate) fn new() -> Self {
        Self { inline: [T::BLANK; N], len: 0, heap: Vec::new() }
    }

    #[inline]
    pub(crate) fn push(&mut self, header: T) {
        if self.heap.is_empty() && self.len < N {
            self.inline[self.len] = header;
        } else {
            if self.heap.is_empty() {
                self.heap.reserve(self.len * 2);
                self.heap.extend_from_slice(&self.inline[..self.len]);
            }
            self.heap.push(header);
        }
        self.len += 1;
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        if self.heap.is_empty() { &self.inline[..self.len] } else { &self.heap }
    }

    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        if self.heap.is_empty() { &mut self.inline[..self.len] } else { &mut self.heap }
    }
}

impl<T: HeaderEntry, const N: usize> FromIterator<T> for HeaderList<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut list = Self::new();
        for header in iter {
            list.push(header);
        }
        list
    }
}

impl<T: HeaderEntry + fmt::Debug, const N: usize> fmt::Debug for HeaderList<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

/// Sorts by lower-cased name, keeping the order of repeated headers (their values are joined in
/// the order they were sent).
pub(crate) fn sort_headers<T: HeaderEntry>(headers: &mut [T]) {
    headers.sort_by(|a, b| {
        a.name().bytes().map(|c| c.to_ascii_lowercase()).cmp(b.name().bytes().map(|c| c.to_ascii_lowercase()))
    });
}

/// Sorts headers whose names are all lower-case, stably (repeated headers keep the order they were
/// sent in). Lists are short, so an insertion sort with the byte comparison inlined beats a
/// general sort calling `memcmp` per comparison.
pub(crate) fn sort_lowercase(headers: &mut [SignedHeader<'_>]) {
    if headers.len() > INLINE_HEADERS {
        headers.sort_by(|a, b| a.0.cmp(b.0));
        return;
    }
    let less = |a: &str, b: &str| {
        for (x, y) in a.bytes().zip(b.bytes()) {
            if x != y {
                return x < y;
            }
        }
        a.len() < b.len()
    };
    for i in 1..headers.len() {
        let mut j = i;
        while j > 0 && less(headers[j].0, headers[j - 1].0) {
            headers.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// `name1;name2;...` from sorted headers, each name once.
pub(crate) fn write_signed_headers<T: HeaderEntry>(out: &mut Vec<u8>, sorted: &[T]) {
    let mut prev: Option<&str> = None;
    for header in sorted {
        let name = header.name();
        if prev.is_some_and(|p| p.eq_ignore_ascii_case(name)) {
            continue;
        }
        if prev.is_some() {
            out.push(b';');
        }
        push_lowercase(out, name);
        prev = Some(name);
    }
}

pub(crate) fn push_lowercase(out: &mut Vec<u8>, s: &str) {
    // Names from `http::HeaderMap` are lower-case already: copy them whole.
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        out.extend(s.bytes().map(|b| b.to_ascii_lowercase()));
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}
