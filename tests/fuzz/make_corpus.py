#!/usr/bin/env python3
"""Write the seed corpus of every fuzz target to tests/fuzz/corpus/TARGET/ (run from anywhere).

Each seed is small: a few valid files of each format, and the invalid ones the readers must
refuse with a message (truncation, bad magic, absurd sizes, NaN, overlapping offsets, ...).
The input layouts are the targets' own (see the comment at the top of each fuzz_TARGET.c).
Rerunning rewrites the same files; libFuzzer's merged finds (tools/fuzz.sh --merge) sit beside
them under their hash names.
"""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


# ---------------------------------------------------------------- IDX: flags, u16 split, files
def idx_images(n, rows, cols, magic=b"\x00\x00\x08\x03"):
    pix = bytes((i * 37) % 256 for i in range(n * rows * cols))
    return magic + struct.pack(">III", n, rows, cols) + pix


def idx_labels(labels, magic=b"\x00\x00\x08\x01"):
    return magic + struct.pack(">I", len(labels)) + bytes(labels)


def idx_input(images, labels, gz_images=False, gz_labels=False, flags=None):
    a = gz(images) if gz_images else images
    b = gz(labels) if gz_labels else labels
    f = flags if flags is not None else (1 if gz_images else 0) | (2 if gz_labels else 0)
    # The target gzips itself when asked (flags); here the bytes go in as they are, so flags
    # stay 0 for pre-compressed parts and the reader sees real gzip files either way.
    return bytes([f]) + struct.pack("<H", len(a)) + a + b


def idx_corpus():
    img, lab = idx_images(3, 2, 2), idx_labels([0, 2, 1])
    put("idx", "valid_raw", idx_input(img, lab))
    put("idx", "valid_gzip_files", idx_input(gz(img), gz(lab), flags=0))
    put("idx", "valid_gzip_by_target", bytes([3]) + struct.pack("<H", len(img)) + img + lab)
    put("idx", "valid_mixed", idx_input(gz(img), lab, flags=0))
    put("idx", "truncated_pixels", idx_input(img[:-1], lab))
    put("idx", "trailing_bytes", idx_input(img + b"\x00", lab))
    put("idx", "bad_magic", idx_input(idx_images(3, 2, 2, b"\x00\x00\x09\x03"), lab))
    put("idx", "count_mismatch", idx_input(img, idx_labels([0, 1])))
    put("idx", "label_150", idx_input(img, idx_labels([0, 150, 1])))
    put("idx", "huge_header", idx_input(struct.pack(">4sIII", b"\x00\x00\x08\x03",
                                                     10000000, 4096, 4096) + b"\x01", lab))
    put("idx", "corrupt_gzip", idx_input(gz(img)[:20] + b"\xff" * 8, lab, flags=0))
    put("idx", "empty", b"\x00\x00\x00")


# ---------------------------------------------------------------- safetensors
def safetensors(tensors, meta=None, header_len=None, pad=True):
    hdr = {}
    if meta is not None:
        hdr["__metadata__"] = meta
    data = b""
    for name, shape, values, offs in tensors:
        raw = struct.pack("<%df" % len(values), *values)
        begin = len(data)
        data += raw
        hdr[name] = {"dtype": "F32", "shape": shape,
                     "data_offsets": offs if offs is not None else [begin, len(data)]}
    text = json.dumps(hdr, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    n = header_len if header_len is not None else len(text)
    return struct.pack("<Q", n) + text + data


# ---------------------------------------------------------------- feature sets: the file itself
def st_raw(tensors, header_len=None):
    """A safetensors file of (name, dtype, shape, raw bytes, offsets or None) tensors."""
    hdr, data = {}, b""
    for name, dtype, shape, raw, offs in tensors:
        begin = len(data)
        data += raw
        hdr[name] = {"dtype": dtype, "shape": shape,
                     "data_offsets": offs if offs is not None else [begin, len(data)]}
    text = json.dumps(hdr, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    n = header_len if header_len is not None else len(text)
    return struct.pack("<Q", n) + text + data


def features_corpus():
    x = struct.pack("<6f", 0.0, 0.5, 1.0, 2.5, -1.0, 0.25)
    y8, y32 = bytes([0, 2, 1]), struct.pack("<3i", 0, 2, 1)
    put("features", "valid_u8", st_raw([("x", "F32", [3, 2], x, None),
                                        ("y", "U8", [3], y8, None)]))
    put("features", "valid_i32", st_raw([("x", "F32", [3, 2], x, None),
                                         ("y", "I32", [3], y32, None)]))
    put("features", "valid_i64_extra", st_raw([("y", "I64", [3], struct.pack("<3q", 0, 1, 199),
                                                None), ("names", "U8", [2], b"ab", None),
                                               ("x", "F32", [3, 2], x, None)]))
    put("features", "wrong_dtype", st_raw([("x", "F64", [3, 1], x, None),
                                           ("y", "U8", [3], y8, None)]))
    put("features", "label_f32", st_raw([("x", "F32", [3, 2], x, None),
                                         ("y", "F32", [3], struct.pack("<3f", 0, 1, 2), None)]))
    put("features", "shape_mismatch", st_raw([("x", "F32", [3, 2], x, None),
                                              ("y", "U8", [2], y8[:2], None)]))
    put("features", "x_1d", st_raw([("x", "F32", [6], x, None), ("y", "U8", [3], y8, None)]))
    put("features", "label_negative", st_raw([("x", "F32", [3, 2], x, None),
                                              ("y", "I32", [3], struct.pack("<3i", 0, -1, 1),
                                               None)]))
    put("features", "label_300", st_raw([("x", "F32", [3, 2], x, None),
                                         ("y", "I32", [3], struct.pack("<3i", 0, 300, 1), None)]))
    put("features", "nan", st_raw([("x", "F32", [3, 2], struct.pack("<6f", 0, 1, float("nan"),
                                                                      0, 0, 0), None),
                                   ("y", "U8", [3], y8, None)]))
    put("features", "truncated", st_raw([("x", "F32", [3, 2], x, None),
                                         ("y", "U8", [3], y8, None)])[:-2])
    put("features", "overlap", st_raw([("x", "F32", [3, 2], x, [0, 24]),
                                       ("y", "U8", [3], y8, [20, 23])]))
    put("features", "missing_y", st_raw([("x", "F32", [3, 2], x, None)]))
    put("features", "huge_extent", st_raw([("x", "F32", [100000000, 1048576], x, None),
                                           ("y", "U8", [3], y8, None)]))
    put("features", "header_too_long", st_raw([("x", "F32", [3, 2], x, None),
                                               ("y", "U8", [3], y8, None)], header_len=1 << 30))
    put("features", "not_json", struct.pack("<Q", 8) + b"{nope   ")


# ---------------------------------------------------------------- CIFAR: kind, u16 split, files
def cifar_record(labels, seed):
    return bytes(labels) + bytes((i * 31 + seed * 7) % 256 for i in range(3072))


def cifar_input(kind, a, b):
    return bytes([kind]) + struct.pack("<H", len(a)) + a + b


def cifar_corpus():
    r10 = [cifar_record([c], c) for c in (3, 9, 0)]
    r100 = [cifar_record([c, f], f) for c, f in ((1, 11), (19, 99), (0, 0))]
    put("cifar", "valid_10", cifar_input(0, r10[0] + r10[1], r10[2]))
    put("cifar", "valid_100_fine", cifar_input(1, r100[0], r100[1] + r100[2]))
    put("cifar", "valid_100_coarse", cifar_input(2, r100[0] + r100[1], r100[2]))
    put("cifar", "truncated", cifar_input(0, r10[0] + r10[1][:100], r10[2]))
    put("cifar", "empty_second", cifar_input(0, r10[0], b""))
    put("cifar", "label_10", cifar_input(0, cifar_record([10], 1), r10[0]))
    put("cifar", "fine_100", cifar_input(1, cifar_record([1, 100], 1), r100[0]))
    put("cifar", "coarse_20", cifar_input(2, cifar_record([20, 1], 1), r100[0]))
    put("cifar", "cifar100_as_10", cifar_input(0, r100[0], r100[1]))


def model_corpus():
    w1 = [0.1 * i - 0.5 for i in range(12)]
    w2 = [0.05 * i for i in range(6)]
    meta = {"format": "sleepcl", "sizes": "4,3,2", "profile": "paper2024", "seed": "7",
            "config_hash": "0123456789abcdef", "output": "softmax", "act_scale": "1"}
    good = [("w1", [3, 4], w1, None), ("w2", [2, 3], w2, None)]
    put("model", "valid", safetensors(good, meta))
    put("model", "valid_no_metadata", safetensors(good))
    put("model", "valid_other_names", safetensors([("fc1", [3, 4], w1, None),
                                                   ("fc2", [2, 3], w2, None)], {}))
    put("model", "nan_weight", safetensors([("w1", [3, 4], [float("nan")] + w1[1:], None),
                                            ("w2", [2, 3], w2, None)], meta))
    put("model", "act_scale_nan", safetensors(good, dict(meta, act_scale="nan")))
    put("model", "output_unknown", safetensors(good, dict(meta, output="tanh")))
    put("model", "sizes_disagree", safetensors(good, dict(meta, sizes="4,3,3")))
    put("model", "overlapping", safetensors([("w1", [3, 4], w1, [0, 48]),
                                             ("w2", [2, 3], w2, [0, 24])], meta))
    put("model", "fractional_offsets", safetensors([("w1", [3, 4], w1, [0.5, 48.5]),
                                                    ("w2", [2, 3], w2, None)], meta))
    put("model", "header_2_64", safetensors(good, meta, header_len=2**64 - 1))
    put("model", "bad_chain", safetensors([("w1", [3, 4], w1, None),
                                           ("w2", [2, 2], w2[:4], None)], meta))
    put("model", "f16", safetensors(good, meta).replace(b'"F32"', b'"F16"', 1))
    put("model", "truncated", safetensors(good, meta)[:-3])
    put("model", "empty", b"")


# ---------------------------------------------------------------- INI config
def config_corpus():
    put("config", "valid_small", "[model]\nsizes = 784,100,10\n[train]\nepochs = 3\nlr = 0.05\n")
    put("config", "include_base", "[config]\ninclude = base.ini\n\n[data]\nfraction = 0.1\n")
    put("config", "include_self", "[config]\ninclude = fuzz.ini\n")
    put("config", "include_late", "[data]\nfraction = 0.1\n[config]\ninclude = base.ini\n")
    put("config", "include_dir", "[config]\ninclude = .\n")
    put("config", "duplicate", "[train]\nepochs = 3\nepochs = 4\n")
    put("config", "unknown_key", "[train]\nepoch = 3\n")
    put("config", "unknown_section", "[trian]\nepochs = 3\n")
    put("config", "indented", "[train]\nepochs = 3\n  epochs = 4\n")
    put("config", "out_of_range", "[data]\nfraction = 1.5\n[sleep]\ndecay = 0\n")
    put("config", "nan_value", "[train]\nlr = nan\n")
    put("config", "syntax", "[train\nepochs 3\n")
    put("config", "long_line", "[run]\nout = " + "x" * 300 + "\n")
    put("config", "quotes_comments", '[experiment]\nname = "a b" ; comment\n[run]\nseeds = 1..3,9\n')
    put("config", "lists", "[model]\nsizes = 784,40,30,10\n[sleep]\nbeta = 2,2,2\n"
        "alpha_vector = 1,2,3\n[experiment]\nkind = tasks\nfractions = 0.2,0.5,1\n")
    # The shipped configs, with what names a path dropped (the target skips inputs with '/').
    for rel in ["mnist.ini", "experiments/limited_mnist_quick.ini", "search/mnist.ini",
                "sleep/mnist2022.ini", "experiments/incremental_fashion.ini"]:
        with open(os.path.join(ROOT, "configs", rel)) as f:
            lines = [ln for ln in f.read().splitlines() if "/" not in ln and not ln.startswith("#")]
        put("config", "shipped_" + rel.replace("/", "_"), "\n".join(lines) + "\n")


def config_set_corpus():
    put("config_set", "flags", "train.epochs=3\ndata.fraction=0.03\nrun.seed=7\n")
    put("config_set", "lists", "model.sizes=784,40,10\nsleep.beta=2,2\nsleep.alpha_vector=1,2\n")
    put("config_set", "strings", "experiment.name=a b\nrun.out=runs\nrun.seeds=1..4\n")
    put("config_set", "enums", "train.profile=ref2022\nsleep.input=window\ntrain.gemm=native\n")
    put("config_set", "bad", "train.nosuchkey=1\nnodot=1\n=3\ntrain.epochs\nconfig.include=x\n")
    put("config_set", "empty_value", "sleep.beta=\ndata.classes=\n")
    put("config_set", "bounds", "data.fraction=0\nsleep.decay=1\ntrain.dropout=0.99\n")


def seeds_corpus():
    for name, text in [("range", "1..10"), ("list", "1,2,5"), ("mixed", "1..3,9"), ("empty", ""),
                       ("max", "4294967295"), ("too_many", "1..100001"), ("reversed", "5..1"),
                       ("word", "a"), ("double_comma", "1,,2"), ("overflow", "4294967296"),
                       ("spaces", " 1 .. 3 , 4 ")]:
        put("seeds", name, text)


# ---------------------------------------------------------------- sleep input: shape, JSON
def sleep_input_corpus():
    def doc(mean, act):
        return json.dumps({"format": "sleepcl-sleep-input", "mean": mean, "act_max": act})
    shape = lambda n_in, layers: bytes([(n_in - 1) | ((layers - 1) << 4)])
    put("sleep_input", "valid_any", b"\x00" + doc([0.1, 0.2, 0.3], [1.5, 2.0]).encode())
    put("sleep_input", "valid_model", shape(3, 2) + doc([0.1, 0.2, 0.3], [1.5, 2.0]).encode())
    put("sleep_input", "wrong_shape", shape(4, 2) + doc([0.1, 0.2, 0.3], [1.5, 2.0]).encode())
    put("sleep_input", "not_finite", b"\x00" + b'{"mean": [1e400], "act_max": [1]}')
    put("sleep_input", "out_of_range", b"\x00" + doc([-1, 2], [0]).encode())
    put("sleep_input", "strings", b"\x00" + b'{"mean": ["0.1"], "act_max": [1]}')
    put("sleep_input", "nine_layers", b"\x00" + doc([0.5], [1] * 9).encode())
    put("sleep_input", "not_json", b"\x00{\"mean\": [0.1,")
    put("sleep_input", "empty", b"")


# ---------------------------------------------------------------- run directory CSV files
def results_input(results, confusion, flags=3):
    r, c = results.encode(), confusion.encode()
    return bytes([flags]) + struct.pack("<H", len(r)) + r + c


def results_corpus():
    head_r = "trial,condition,stage,task,metric,value\n"
    head_c = "trial,condition,stage,true,pred,count\n"
    rows = "".join("%d,0.2,trained,all,accuracy,0.%d\n" % (t, t) for t in (1, 2))
    conf = "".join("%d,0.2,trained,%d,%d,3\n" % (t, a, b) for t in (1, 2, 3)
                   for a in (0, 1) for b in (0, 1))
    put("results", "resume_prunes", results_input(head_r + rows, head_c + conf))
    put("results", "fresh", results_input("", "", flags=0))
    put("results", "confusion_only", results_input("", head_c + conf, flags=2))
    put("results", "results_only", results_input(head_r + rows, "", flags=1))
    put("results", "no_header", results_input(rows, conf))
    put("results", "short_lines", results_input(head_r + "1\n2,\n,,\n", head_c + "1,\n,\n"))
    put("results", "long_line", results_input(head_r + "1,0.2," + "x" * 600 + "\n", head_c))
    put("results", "no_newline", results_input(head_r + "1,0.2,trained,all,accuracy,1", head_c))


if __name__ == "__main__":
    idx_corpus()
    model_corpus()
    config_corpus()
    config_set_corpus()
    seeds_corpus()
    sleep_input_corpus()
    results_corpus()
    features_corpus()
    cifar_corpus()
