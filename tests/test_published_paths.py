"""Nothing published under docs/assets names a folder of the machine that built it: not the
JSON (run configs, the model manifest), not the ONNX files' strings (node metadata, doc
strings, names), not the PNG text chunks, not any other file's bytes."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import onnx
import pytest
from google.protobuf.message import Message

from tests.support import ROOT

ASSETS = ROOT / "docs" / "assets"
MACHINE = ["/work/", "/home/", "/root/", "/tmp/", "C:\\", str(ROOT)] + \
    ([str(Path.home())] if str(Path.home()) not in ("", "/") else [])


def proto_strings(msg: Message):
    """Every string field of a protobuf message and of the messages inside it."""
    for field, value in msg.ListFields():
        values = value if field.is_repeated else [value]
        if field.type == field.TYPE_STRING:
            yield from values
        elif field.type == field.TYPE_MESSAGE:
            for sub in values:
                yield from proto_strings(sub)


def png_texts(data: bytes):
    """The text of a PNG's tEXt, zTXt and iTXt chunks (where tools write their metadata)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos = 8
    while pos < len(data):
        (n,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"tEXt":
            yield body.decode("latin-1")
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            yield key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            _, _, rest = rest.partition(b"\0")  # language tag
            _, _, text = rest.partition(b"\0")  # translated keyword
            yield key.decode("latin-1") + " " + (zlib.decompress(text) if compressed else text).decode("utf-8")
        pos += 12 + n


def texts(path: Path):
    data = path.read_bytes()
    if path.suffix == ".onnx":
        yield from proto_strings(onnx.load_from_string(data))
    elif path.suffix == ".png":
        yield from png_texts(data)
    else:  # JSON, GIF, anything else: its bytes
        yield data.decode("utf-8", errors="replace")


def leaks(path: Path) -> list[str]:
    return sorted({m for t in texts(path) for m in MACHINE if m in t})


def test_the_scanners_see_what_they_must():
    assert [t for t in png_texts(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 7) + b"tEXtk\0/tmp/" + b"\0" * 4)] == ["k\0/tmp/"]
    model = onnx.helper.make_model(onnx.helper.make_graph([], "g", [], []))
    model.graph.node.add(op_type="Relu").metadata_props.add(key="trace", value='File "/home/me/x.py"')
    assert "/home/" in " ".join(proto_strings(model))


@pytest.mark.parametrize("path", sorted(p for p in ASSETS.rglob("*") if p.is_file()), ids=lambda p: str(p.relative_to(ASSETS)))
def test_no_published_file_names_a_folder_of_this_machine(path):
    assert not leaks(path), f"{path.relative_to(ROOT)} contains {leaks(path)}"
