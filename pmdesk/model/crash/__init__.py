"""Native crash queries (ELF cores today): the stack document, the crash in plain words, the docks' session."""
