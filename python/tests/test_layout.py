"""The ctypes mirrors of the C structs against the header: a C file printing every mirrored
field's offset and every struct's size is compiled and its output compared. Catches a field
added to sleepcl.h without the same change in sleepcl/_lib.py."""

from __future__ import annotations

import ctypes
import shutil
import subprocess

import pytest

from sleepcl import _lib
from conftest import REPO


def test_structs_match_the_header(tmp_path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler")
    lines = ["#include <stddef.h>", "#include <stdio.h>", '#include "sleepcl/sleepcl.h"',
             "int main(void) {"]
    expected = []
    for cname, cls in _lib.STRUCTS.items():
        lines.append(f'printf("%zu\\n", sizeof({cname}));')
        expected.append(ctypes.sizeof(cls))
        for field, _type in cls._fields_:
            lines.append(f'printf("%zu\\n", offsetof({cname}, {field}));')
            expected.append(getattr(cls, field).offset)
    lines.append("return 0; }")
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run([cc, "-std=c11", f"-I{REPO / 'include'}", str(src), "-o", str(exe)],
                   check=True)
    got = [int(v) for v in subprocess.run([str(exe)], capture_output=True, text=True,
                                          check=True).stdout.split()]
    names = [f"sizeof({c})" if i == 0 else f"{c}.{f}"
             for c, cls in _lib.STRUCTS.items()
             for i, f in enumerate(["", *[f for f, _ in cls._fields_]])]
    diffs = [f"{n}: C {g}, ctypes {e}" for n, g, e in zip(names, got, expected) if g != e]
    assert not diffs, "; ".join(diffs)
