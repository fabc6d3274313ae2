"""A program for `memray run`: it keeps 100 blocks of 100 kB to the end (a leak, and the high-water mark)
and makes 50 blocks of 1 MB it frees at once (temporary allocations). tests/test_memray.py records it."""

KEEP = []


def leak() -> None:
    for _ in range(100):
        KEEP.append(bytearray(100_000))


def churn() -> None:
    for _ in range(50):
        block = bytearray(1_000_000)
        del block


leak()
churn()
