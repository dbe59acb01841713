//! Choosing a tile's operation (encoder only): comparing a tile with its
//! possible predictions, and telling screen content from photographs.

#![forbid(unsafe_code)]

use super::layout::{Grid, Op, Px, TILE};

/// A motion vector `(dx, dy)`: pixel `(x, y)` of a tile is predicted by
/// pixel `(x + dx, y + dy)` of the reference.
pub type Vector = (i32, i32);

/// Candidate vectors tried for an exact copy, after the neighbours' own:
/// the motion search ranks them by votes, and the likely ones come first.
const COPY_TRIES: usize = 24;

/// Candidate vectors tried as the base of a patch.
const PATCH_TRIES: usize = 3;

/// Largest share of a tile's pixels, as a fraction, that may differ from
/// its prediction for the tile to be coded as a patch rather than as new
/// pixels.
const PATCH_MAX_DIFFERING: (usize, usize) = (1, 8);

/// The frames a tile may be predicted from.
pub struct References<'a> {
    /// The previous frame.
    pub prev: &'a [Px],
    /// The frame being coded.
    pub cur: &'a [Px],
    /// The chain's keyframe.
    pub key: &'a [Px],
}

/// The operation and vector of changed tile `t`: a copy if some vector
/// (the neighbours' first) reproduces it exactly from the previous frame,
/// a recall if the keyframe shows it at the same place, a patch on the
/// best prediction if few pixels differ from it, else new pixels.
pub fn choose(
    refs: &References<'_>,
    grid: &Grid,
    t: usize,
    candidates: &[Vector],
    modes: &[u8],
    vectors: &[Vector],
) -> (Op, Vector) {
    // Neighbours that already moved are the likeliest vectors: a scrolled
    // region or a moved window spans many tiles.
    let mut order: Vec<Vector> = Vec::with_capacity(COPY_TRIES + 2);
    let neighbours = [
        (!t.is_multiple_of(grid.cols)).then(|| t - 1),
        (t >= grid.cols).then(|| t - grid.cols),
    ];
    for n in neighbours.into_iter().flatten() {
        let v = vectors[n];
        if matches!(Op::of(modes[n]), Some(Op::Copy | Op::Patch)) && !order.contains(&v) {
            order.push(v);
        }
    }
    for &v in candidates.iter().take(COPY_TRIES) {
        if !order.contains(&v) {
            order.push(v);
        }
    }

    for &v in &order {
        if v != (0, 0) && grid.inside(t, v) && matches(refs.prev, refs.cur, grid, t, v) {
            return (Op::Copy, v);
        }
    }
    if !refs.key.is_empty() && matches(refs.key, refs.cur, grid, t, (0, 0)) {
        return (Op::Recall, (0, 0));
    }

    let pixels = grid.area(t);
    let mut best = (
        differing(refs.prev, refs.cur, grid, t, (0, 0), pixels),
        (0, 0),
    );
    for &v in order.iter().take(PATCH_TRIES) {
        if v != (0, 0) && grid.inside(t, v) {
            let n = differing(refs.prev, refs.cur, grid, t, v, best.0);
            if n < best.0 {
                best = (n, v);
            }
        }
    }
    // A patch pays when the prediction is nearly right (a hovered button,
    // a typed character). New content over old content (a scrolled-in
    // line of text over the one it replaced) differs in fewer than half
    // its pixels, yet its XOR is noise to zstd, while its literal pixels
    // repeat glyphs coded before.
    if best.0 * PATCH_MAX_DIFFERING.1 <= pixels * PATCH_MAX_DIFFERING.0 {
        (Op::Patch, best.1)
    } else {
        (classify(refs.cur, grid, t), (0, 0))
    }
}

/// Whether new tile `t` is better coded as literal pixels (screen content:
/// flat areas, text, lines, whose rows repeat and which zstd matches) or
/// as predicted ones (photographs and gradients, where every pixel
/// differs a little from its neighbours). Screen content has most pixels
/// equal to their left neighbour.
pub fn classify(cur: &[Px], grid: &Grid, t: usize) -> Op {
    let (x, y, w, h) = grid.rect(t);
    let stride = grid.width as usize;
    let mut equal = 0;
    for r in 0..h as usize {
        let row = &cur[(y as usize + r) * stride + x as usize..][..w as usize];
        equal += row.windows(2).filter(|p| p[0] == p[1]).count();
    }
    let pairs = (w as usize - 1) * h as usize;
    if equal * 2 >= pairs {
        Op::Literal
    } else {
        Op::Predicted
    }
}

/// Which tiles of `cur` differ from `reference` at the same place. Rows
/// that did not change at all are passed over whole.
pub fn changed(reference: &[Px], cur: &[Px], grid: &Grid) -> Vec<bool> {
    let w = grid.width as usize;
    let mut changed = vec![false; grid.tiles()];
    for y in 0..grid.height as usize {
        let (a, b) = (&cur[y * w..][..w], &reference[y * w..][..w]);
        if a == b {
            continue;
        }
        let band = &mut changed[y / TILE as usize * grid.cols..][..grid.cols];
        for (col, flag) in band.iter_mut().enumerate() {
            let xs = col * TILE as usize..((col + 1) * TILE as usize).min(w);
            *flag = *flag || !same(&a[xs.clone()], &b[xs]);
        }
    }
    changed
}

/// Whether two runs of pixels are equal: a branch-free comparison that
/// the compiler vectorizes, cheaper than a call to `memcmp` for the 16
/// pixels of a tile row.
#[inline]
fn same(a: &[Px], b: &[Px]) -> bool {
    a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether tile `t` of `cur` equals the tile of `reference` moved by `d`.
pub fn matches(reference: &[Px], cur: &[Px], grid: &Grid, t: usize, (dx, dy): Vector) -> bool {
    let (x, y, w, h) = grid.rect(t);
    let stride = grid.width as usize;
    let (sx, sy) = ((x as i32 + dx) as usize, (y as i32 + dy) as usize);
    (0..h as usize).all(|r| {
        let a = &cur[(y as usize + r) * stride + x as usize..][..w as usize];
        let b = &reference[(sy + r) * stride + sx..][..w as usize];
        same(a, b)
    })
}

/// How many pixels of tile `t` of `cur` differ from `reference` moved by
/// `d`, counting no further than `limit`.
fn differing(
    reference: &[Px],
    cur: &[Px],
    grid: &Grid,
    t: usize,
    (dx, dy): Vector,
    limit: usize,
) -> usize {
    let (x, y, w, h) = grid.rect(t);
    let stride = grid.width as usize;
    let (sx, sy) = ((x as i32 + dx) as usize, (y as i32 + dy) as usize);
    let mut n = 0;
    for r in 0..h as usize {
        let a = &cur[(y as usize + r) * stride + x as usize..][..w as usize];
        let b = &reference[(sy + r) * stride + sx..][..w as usize];
        n += a.iter().zip(b).filter(|(p, q)| p != q).count();
        if n >= limit {
            break;
        }
    }
    n
}
