//! The feedback bundle's memory allocator: power-of-two size classes, each with a list of the
//! blocks given back, carved from pages taken with `memory.grow`.
//!
//! Rust's default allocator on wasm (dlmalloc) is some 8 KB of wasm, a tenth of the SDK's whole
//! budget; this is a few hundred bytes. It trades memory for size: a block is rounded up to a
//! power of two, and freed blocks are kept for their class rather than merged or handed back,
//! which suits the SDK's few and small allocations (the largest are a feedback's JSON body and
//! its console lines, tens of kilobytes). The chat widget keeps dlmalloc.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr::null_mut;

/// A wasm page.
pub const PAGE: usize = 65536;
/// The smallest block: room for the link of the free list, and alignment for any scalar.
const MIN_BLOCK: usize = 16;

/// The allocator's bookkeeping.
pub struct Heap {
    /// Per class `k` (blocks of `2^k` bytes), the first free block, or 0. A free block's first
    /// word holds the address of the next one.
    free: [usize; usize::BITS as usize],
    /// Where the next new block may start, and where the memory taken so far ends.
    next: usize,
    end: usize,
    /// Adds pages of memory; returns the (page-aligned) address of the first, or `None`.
    grow: fn(usize) -> Option<usize>,
}

impl Heap {
    /// An empty heap taking its memory from `grow`.
    pub const fn new(grow: fn(usize) -> Option<usize>) -> Self {
        Heap { free: [0; usize::BITS as usize], next: 0, end: 0, grow }
    }

    /// The class of a layout: its blocks are `1 << class` bytes, which covers its size and its
    /// alignment (blocks are aligned to their size, up to a page).
    fn class(layout: Layout) -> Option<usize> {
        if layout.align() > PAGE {
            return None;
        }
        let size = layout.size().max(layout.align()).max(MIN_BLOCK).checked_next_power_of_two()?;
        Some(size.trailing_zeros() as usize)
    }

    /// A block for `layout`, or null when memory cannot grow.
    pub fn alloc(&mut self, layout: Layout) -> *mut u8 {
        // (`get_mut` rather than indexing, here and in `dealloc`: the bounds-check panic would
        // bring integer formatting into the bundle.)
        let Some(class) = Self::class(layout) else { return null_mut() };
        let Some(head) = self.free.get_mut(class) else { return null_mut() };
        if *head != 0 {
            let block = *head;
            // SAFETY: `block` is a free block of this heap, at least a word long and aligned;
            // its first word was written by `dealloc`.
            *head = unsafe { *(block as *const usize) };
            return block as *mut u8;
        }
        self.carve(1 << class).map_or(null_mut(), |start| start as *mut u8)
    }

    /// A new block of `size` bytes (a power of two), from the end of the memory taken so far.
    fn carve(&mut self, size: usize) -> Option<usize> {
        let align = size.min(PAGE);
        let mut start = self.next.checked_add(align - 1)? & !(align - 1);
        if start.checked_add(size)? > self.end {
            let pages = size.div_ceil(PAGE);
            let base = (self.grow)(pages)?;
            // Contiguous with what we had (the usual case), the block may start in the old tail:
            // `end` is a multiple of `align`, so `start <= end` and the new pages are enough.
            // Otherwise start afresh at `base`, leaving the tail unused.
            if base != self.end {
                self.next = base;
            }
            self.end = base.checked_add(pages * PAGE)?;
            start = self.next.checked_add(align - 1)? & !(align - 1);
        }
        self.next = start + size;
        Some(start)
    }

    /// Takes back a block.
    ///
    /// # Safety
    /// `ptr` was returned by [`Heap::alloc`] of this heap for `layout` (or a layout of the same
    /// class), and is not used afterwards.
    pub unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        if let Some(head) = Self::class(layout).and_then(|class| self.free.get_mut(class)) {
            // SAFETY: the block is ours, at least a word long, aligned, and no longer in use.
            unsafe { *(ptr as *mut usize) = *head };
            *head = ptr as usize;
        }
    }

    /// `ptr`'s block resized to `new_size`: the same block while the class is the same.
    ///
    /// # Safety
    /// As for [`Heap::dealloc`]; `new_size` rounded up to `layout.align()` fits in `isize`.
    pub unsafe fn realloc(&mut self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else { return null_mut() };
        if Self::class(new_layout) == Self::class(layout) {
            return ptr;
        }
        let new = self.alloc(new_layout);
        if !new.is_null() {
            // SAFETY: both blocks are ours, distinct, and at least this long.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

/// [`Heap`] as the global allocator.
pub struct Global(UnsafeCell<Heap>);

impl Global {
    /// The allocator over an empty heap taking its memory from `grow`.
    pub const fn new(grow: fn(usize) -> Option<usize>) -> Self {
        Global(UnsafeCell::new(Heap::new(grow)))
    }
}

// SAFETY: the bundle runs on one thread (wasm32 without the `atomics` feature), and no call into
// the heap re-enters it, so the `&mut Heap` of one call never overlaps another's.
unsafe impl Sync for Global {}

// SAFETY: `Heap` hands out distinct, suitably aligned blocks, or null.
unsafe impl GlobalAlloc for Global {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see `Sync` above.
        unsafe { (*self.0.get()).alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: see `Sync` above; the caller's guarantees are `Heap::dealloc`'s.
        unsafe { (*self.0.get()).dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: see `Sync` above; the caller's guarantees are `Heap::realloc`'s.
        unsafe { (*self.0.get()).realloc(ptr, layout, new_size) }
    }
}

/// `memory.grow` on the wasm memory: the address of the first new page.
#[cfg(target_arch = "wasm32")]
pub fn grow(pages: usize) -> Option<usize> {
    let previous = core::arch::wasm32::memory_grow(0, pages);
    (previous != usize::MAX).then(|| previous * PAGE)
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const ARENA_PAGES: usize = 1024;

    /// Pages from one leaked, page-aligned arena, shared by the tests (each takes its own).
    fn arena(pages: usize) -> Option<usize> {
        static BASE: OnceLock<usize> = OnceLock::new();
        static USED: AtomicUsize = AtomicUsize::new(0);
        let base = *BASE.get_or_init(|| {
            let layout = Layout::from_size_align(ARENA_PAGES * PAGE, PAGE).expect("arena layout");
            // SAFETY: a non-zero size.
            unsafe { std::alloc::alloc(layout) as usize }
        });
        let first = USED.fetch_add(pages, Ordering::SeqCst);
        (base != 0 && first + pages <= ARENA_PAGES).then(|| base + first * PAGE)
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).expect("layout")
    }

    #[test]
    fn blocks_are_aligned_distinct_and_writable() {
        let mut heap = Heap::new(arena);
        let mut blocks = Vec::new();
        for (i, (size, align)) in
            [(1, 1), (7, 8), (16, 16), (100, 4), (3000, 8), (70_000, 8), (5, 64)].iter().enumerate()
        {
            let ptr = heap.alloc(layout(*size, *align));
            assert!(!ptr.is_null());
            assert_eq!(ptr as usize % align, 0, "alignment of {size}/{align}");
            // SAFETY: a fresh block of at least `size` bytes.
            unsafe { std::ptr::write_bytes(ptr, i as u8, *size) };
            blocks.push((ptr, *size, i as u8));
        }
        for (ptr, size, fill) in &blocks {
            // SAFETY: still allocated, `size` bytes written above.
            let bytes = unsafe { std::slice::from_raw_parts(*ptr, *size) };
            assert!(bytes.iter().all(|b| b == fill), "a block was overwritten");
        }
        let mut ranges: Vec<(usize, usize)> = blocks.iter().map(|(p, s, _)| (*p as usize, *p as usize + s)).collect();
        ranges.sort();
        assert!(ranges.windows(2).all(|w| w[0].1 <= w[1].0), "blocks overlap");
    }

    #[test]
    fn freed_blocks_are_reused_by_their_class() {
        let mut heap = Heap::new(arena);
        let a = heap.alloc(layout(24, 8));
        let b = heap.alloc(layout(24, 8));
        // SAFETY: allocated above for this layout.
        unsafe {
            heap.dealloc(a, layout(24, 8));
            heap.dealloc(b, layout(30, 8));
        }
        assert_eq!(heap.alloc(layout(32, 8)), b);
        assert_eq!(heap.alloc(layout(17, 1)), a);
        assert_ne!(heap.alloc(layout(24, 8)), a);
    }

    #[test]
    fn realloc_keeps_the_block_within_its_class_and_the_bytes_across() {
        let mut heap = Heap::new(arena);
        let ptr = heap.alloc(layout(20, 1));
        // SAFETY: 20 bytes allocated; each step keeps the block's old bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(b"abcdefghijklmnopqrst".as_ptr(), ptr, 20);
            assert_eq!(heap.realloc(ptr, layout(20, 1), 32), ptr);
            let grown = heap.realloc(ptr, layout(32, 1), 100);
            assert_ne!(grown, ptr);
            assert_eq!(std::slice::from_raw_parts(grown, 20), b"abcdefghijklmnopqrst");
        }
    }

    #[test]
    fn impossible_layouts_and_exhausted_memory_give_null() {
        let mut heap = Heap::new(|_| None);
        assert!(heap.alloc(layout(8, 8)).is_null());
        let mut heap = Heap::new(arena);
        assert!(heap.alloc(layout(8, 2 * PAGE)).is_null());
    }
}
