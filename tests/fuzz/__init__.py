"""The fuzzing harness: mutants of real artefacts run through pmdesk in a subprocess under limits."""
