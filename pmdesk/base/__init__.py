"""Format-independent basics shared by every layer (no third-party imports): errors, progress and
cancellation, the parts of a dump, and the crash model crash readers fill and the model reads."""
