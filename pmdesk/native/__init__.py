"""Native-code symbolication, shared by every native crash format (ELF cores today; tombstones' .so files,
minidumps' modules and dSYMs next). The API, in the order a crash reader uses it:

- find the files: `symbol_files.find_binary(recorded, build_id, SearchPaths, …)` and
  `symbol_files.find_debug_file(binary, build_id, SearchPaths)` — search directories, recorded paths,
  `.build-id/xx/rest.debug` trees, `.gnu_debuglink` (CRC checked), debuginfod; each says where it looked;
- describe a loaded module: `image.Image(path, start, end, bias, build_id, name, binary, debug_file)`;
  `Image.locations(module_offset)` resolves an offset to its functions — inlined ones first, with file and
  line (DWARF: `symbols.DwarfSymbols`; else ELF symbols, demangled: `symbols.demangle`);
- walk a stack: `unwind.Unwinder(machine, memory, image_at).unwind(registers)` — CFI (`cfi.ModuleCFI`,
  .eh_frame and .debug_frame), then frame pointers, then stack scanning, over any memory source
  (`read`, `u64`, `executable`);
- name every frame: `symbolicate.Symbolizer(machine, memory, image_at, main_path).frames(registers)` gives
  the crash model's frames (base/crash.py), inlined and tail-call frames included, as gdb shows them;
- code: `disasm.disassemble(machine, code, address)`, `calls.direct_call_target(machine, memory, pc)`.

Architecture facts (register names, DWARF numbering) are in `arch`.
"""
