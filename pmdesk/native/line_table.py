"""A DWARF line-number program run over its raw bytes (the header as pyelftools parsed it): the rows the
state machine emits — address, file index, line, end of sequence — several times faster than decoding each
opcode through construct."""

from __future__ import annotations

from typing import Any

from pmdesk.native.leb128 import sleb, uleb

# standard opcodes
COPY, ADVANCE_PC, ADVANCE_LINE, SET_FILE, SET_COLUMN, NEGATE_STMT, SET_BASIC_BLOCK, CONST_ADD_PC, \
    FIXED_ADVANCE_PC, SET_PROLOGUE_END, SET_EPILOGUE_BEGIN, SET_ISA = range(1, 13)
END_SEQUENCE, SET_ADDRESS = 1, 2  # extended opcodes


def rows(prog: Any, data: bytes) -> list[tuple[int, int, int, bool]]:
    """(address, file, line, end_sequence) of every row of a pyelftools LineProgram, from `data` (the
    .debug_line bytes)."""
    h = prog.header
    min_len = h["minimum_instruction_length"]
    line_base, line_range, opcode_base = h["line_base"], h["line_range"], h["opcode_base"]
    lengths = list(h["standard_opcode_lengths"])
    out: list[tuple[int, int, int, bool]] = []
    p, end = prog.program_start_offset, prog.program_end_offset
    address, file, line = 0, 1, 1
    while p < end:
        op = data[p]
        p += 1
        if op >= opcode_base:  # special opcode: advance address and line, emit a row
            adj = op - opcode_base
            address += (adj // line_range) * min_len
            line += line_base + adj % line_range
            out.append((address, file, line, False))
        elif op == 0:  # extended
            size, p = uleb(data, p)
            sub = data[p]
            if sub == END_SEQUENCE:
                out.append((address, file, line, True))
                address, file, line = 0, 1, 1
            elif sub == SET_ADDRESS:
                address = int.from_bytes(data[p + 1:p + size], "little")
            p += size
        elif op == COPY:
            out.append((address, file, line, False))
        elif op == ADVANCE_PC:
            v, p = uleb(data, p)
            address += v * min_len
        elif op == ADVANCE_LINE:
            v, p = sleb(data, p)
            line += v
        elif op == SET_FILE:
            file, p = uleb(data, p)
        elif op == CONST_ADD_PC:
            address += ((255 - opcode_base) // line_range) * min_len
        elif op == FIXED_ADVANCE_PC:
            address += int.from_bytes(data[p:p + 2], "little")
            p += 2
        elif op in (SET_COLUMN, SET_ISA):
            _v, p = uleb(data, p)
        elif op in (NEGATE_STMT, SET_BASIC_BLOCK, SET_PROLOGUE_END, SET_EPILOGUE_BEGIN):
            pass
        else:  # an opcode this producer defined: skip its ULEB operands
            for _ in range(lengths[op - 1] if op - 1 < len(lengths) else 0):
                _v, p = uleb(data, p)
    return out
