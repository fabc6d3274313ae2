"""The triage desk: one signature per dump (native crashes Socorro-style, and the equivalents for heaps, thread
dumps, recordings and profiles), dumps grouped into buckets by it, the inbox's marks and notes, a retention
policy over the dumps, `pmdesk doctor`'s checks of this machine, and the same per-dump job on a Dask cluster."""
