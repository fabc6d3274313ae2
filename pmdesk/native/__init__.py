"""Native-code symbolication shared by every native crash format: ELF sections and symbols, DWARF
functions, inlines and line tables, CFI, demangling, symbol-file search (build-id trees, debuglink,
debuginfod), call targets and disassembly."""
