"""The numba walk over a Python heap snapshot's words (the record layout is pmdesk/capture's docstring):
objects, their references and labels, strings and values as arrays; the few other records by offset."""

from __future__ import annotations

from numba import njit

# tags (pmdesk/capture)
END, STRING, TYPE, OBJECT, LABELS, ROOT, THREAD, FRAME, VALUE, META = range(10)

W_DONE, W_CUT, W_BAD = 0, 1, 2  # walk(): the END record reached / a record past the end / a damaged record
# walk() counters
C_POS, C_OBJ, C_REFS, C_LABELS, C_STRINGS, C_VALUES, C_OTHER, C_END_OBJECTS = range(8)
N_C = 8


@njit(cache=True, nogil=True)
def walk(w, fill, obj, refs, labels, strings, values, other, ctr):
    """Walks the records from word ctr[C_POS]. With `fill`: obj[k] = (id, type id, size, first reference's
    word, references) per object; refs gets every reference id; labels[k] = (object number, position, string);
    strings[k] = (word where its bytes start, byte length); values[k] = (id, preview string, hash, length);
    other[k] = (tag, word) for types, roots, threads, frames and meta. Without it only the counters move."""
    n = w.shape[0]
    p = ctr[C_POS]
    while p < n:
        start = p
        tag = w[p]
        if tag == END:
            if p + 1 >= n:
                ctr[C_POS] = start
                return W_CUT
            ctr[C_END_OBJECTS] = w[p + 1]
            ctr[C_POS] = p + 2
            return W_DONE
        if tag == OBJECT:
            if p + 5 > n or w[p + 4] < 0 or w[p + 4] > n - p - 5:
                ctr[C_POS] = start
                return W_CUT if p + 5 > n or w[p + 4] >= 0 else W_BAD
            k = ctr[C_OBJ]
            m = w[p + 4]
            if fill:
                obj[k, 0] = w[p + 1]
                obj[k, 1] = w[p + 2]
                obj[k, 2] = w[p + 3]
                obj[k, 3] = p + 5
                obj[k, 4] = m
                r = ctr[C_REFS]
                for j in range(m):
                    refs[r + j] = w[p + 5 + j]
            ctr[C_OBJ] = k + 1
            ctr[C_REFS] += m
            p += 5 + m
            continue
        if tag == STRING:
            if p + 2 > n or w[p + 1] < 0 or w[p + 1] // 8 + (w[p + 1] % 8 > 0) > n - p - 2:  # no overflow
                ctr[C_POS] = start
                return W_CUT if p + 2 > n or w[p + 1] >= 0 else W_BAD
            k = ctr[C_STRINGS]
            if fill:
                strings[k, 0] = p + 2
                strings[k, 1] = w[p + 1]
            ctr[C_STRINGS] = k + 1
            p += 2 + w[p + 1] // 8 + (w[p + 1] % 8 > 0)
            continue
        if tag == LABELS:
            if p + 3 > n or w[p + 2] < 0 or w[p + 2] > (n - p - 3) // 2:
                ctr[C_POS] = start
                return W_CUT if p + 3 > n or w[p + 2] >= 0 else W_BAD
            m = w[p + 2]
            if fill:
                k = ctr[C_LABELS]
                for j in range(m):
                    labels[k + j, 0] = ctr[C_OBJ] - 1  # labels follow their object's record
                    labels[k + j, 1] = w[p + 3 + 2 * j]
                    labels[k + j, 2] = w[p + 4 + 2 * j]
            ctr[C_LABELS] += m
            p += 3 + 2 * m
            continue
        if tag == VALUE:
            if p + 5 > n:
                ctr[C_POS] = start
                return W_CUT
            k = ctr[C_VALUES]
            if fill:
                for j in range(4):
                    values[k, j] = w[p + 1 + j]
            ctr[C_VALUES] = k + 1
            p += 5
            continue
        if tag == TYPE:
            size = 3
        elif tag == ROOT:
            size = 4
        elif tag == META:
            size = 2
        elif tag == THREAD:
            if p + 4 > n or w[p + 3] < 0 or w[p + 3] > n - p - 4:  # counts near 2**63 must not wrap
                ctr[C_POS] = start
                return W_CUT if p + 4 > n or w[p + 3] >= 0 else W_BAD
            size = 4 + w[p + 3]
        elif tag == FRAME:
            if p + 6 > n or w[p + 5] < 0 or w[p + 5] > (n - p - 6) // 2:
                ctr[C_POS] = start
                return W_CUT if p + 6 > n or w[p + 5] >= 0 else W_BAD
            size = 6 + 2 * w[p + 5]
        else:
            ctr[C_POS] = start
            return W_BAD
        if size > n - p:
            ctr[C_POS] = start
            return W_CUT
        k = ctr[C_OTHER]
        if fill:
            other[k, 0] = tag
            other[k, 1] = p
        ctr[C_OTHER] = k + 1
        p += size
    ctr[C_POS] = p
    return W_CUT
