"""The Triage window: a folder's dumps in buckets by signature — open any in one click (its index is the one
triage built), mark a bucket known or ignored, note what it is, see what the folder costs on disk."""
