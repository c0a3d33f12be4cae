"""Safe model files: round trips, fuzzing, forged headers, atomic writes."""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import glassnet
import glassnet.persist.container as gio
from glassnet import MLPClassifier, ModelFileError, UnsupportedFormatError
from helpers import fit_small


def _fit(rng: np.random.Generator, dtype: Any = None, n: int = 60) -> MLPClassifier:
    """A small fitted estimator (2 → 3 → 2, string labels): a file of about 4 KB."""
    return fit_small(rng, rng.normal(size=(n, 2)), max_iter=5, dtype=dtype)


@pytest.fixture
def net(fitted: MLPClassifier) -> MLPClassifier:
    return fitted


@pytest.fixture
def saved(saved_model: Path) -> Path:
    return saved_model


def _arrays(est: Any) -> dict[str, np.ndarray]:
    return est._export_state()[1]


def _same_arrays(a: Any, b: Any) -> bool:
    x, y = _arrays(a), _arrays(b)
    return x.keys() == y.keys() and all(
        x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k]) for k in x
    )


def _members(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def _rezip(
    path: Path, members: list[tuple[str, bytes]], compress: frozenset[str] = frozenset()
) -> None:
    """Write ``members`` as a ZIP (stored unless named in ``compress``) over ``path``."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            method = zipfile.ZIP_DEFLATED if name in compress else zipfile.ZIP_STORED
            zf.writestr(name, data, compress_type=method)


def _edit_meta(path: Path, edit: Any) -> None:
    members = _members(path)
    meta = json.loads(members[0][1])
    edit(meta)
    members[0] = ("meta.json", json.dumps(meta).encode())
    _rezip(path, members)


def _npy(header: str, data: bytes = b"") -> bytes:
    """A hand-made .npy (format 1.0) with ``header`` as its dict literal."""
    text = header.encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_round_trip_is_exact(dtype: Any, rng: np.random.Generator, tmp_path: Path) -> None:
    net = _fit(rng, dtype)
    path = tmp_path / "m.glassnet"
    glassnet.save(net, path)
    back = glassnet.load(path)
    assert _same_arrays(net, back)
    assert back.coefs_[0].dtype == dtype
    X = rng.normal(size=(7, 2))
    np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))
    assert back.classes_.tolist() == ["no", "yes"]
    params = back.get_params()
    assert np.dtype(params.pop("dtype")) == np.dtype(net.get_params()["dtype"])
    assert params == {k: v for k, v in net.get_params().items() if k != "dtype"}
    assert (back.n_iter_, back.t_, back.loss_curve_) == (net.n_iter_, net.t_, net.loss_curve_)
    assert os.listdir(tmp_path) == ["m.glassnet"]


def test_file_layout_matches_the_documented_format(saved: Path) -> None:
    with zipfile.ZipFile(saved) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert names[0] == "meta.json"
        assert sorted(names[1:]) == sorted(
            [f"{k}_{i}.npy" for k in ("coefs", "intercepts") for i in (0, 1)] + ["loss_curve.npy"]
        )
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        meta = json.loads(zf.read("meta.json"))
        for entry in meta["arrays"]:
            arr = np.load(io.BytesIO(zf.read(entry["name"] + ".npy")), allow_pickle=False)
            assert list(arr.shape) == entry["shape"] and arr.dtype.name == entry["dtype"]
    assert meta["magic"] == gio.MAGIC and meta["format_version"] == gio.FORMAT_VERSION
    assert meta["glassnet_version"] == glassnet.__version__
    assert meta["estimator"] == "MLPClassifier"


def test_saving_twice_gives_identical_bytes(net: MLPClassifier, tmp_path: Path) -> None:
    glassnet.save(net, tmp_path / "a.glassnet")
    glassnet.save(net, tmp_path / "b.glassnet")
    assert (tmp_path / "a.glassnet").read_bytes() == (tmp_path / "b.glassnet").read_bytes()


def test_save_refuses_what_it_cannot_store(net: MLPClassifier, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"estimator must be a fitted glassnet estimator.*dict"):
        glassnet.save({}, tmp_path / "x")
    with pytest.raises(NotFittedError):
        glassnet.save(MLPClassifier(), tmp_path / "x")
    net.coefs_[0][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"'coefs_0' holds 1 non-finite value.*Refit"):
        glassnet.save(net, tmp_path / "x")
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValueError, match=r"dtype int64.*float32 or float64"):
        gio.write_container(tmp_path / "x", "model", {}, {"a": np.arange(3)})
    with pytest.raises(ValueError, match=r"array name '\.\./a' is not allowed"):
        gio.write_container(tmp_path / "x", "model", {}, {"../a": np.ones(3)})
    with pytest.raises(ValueError, match="not plain JSON"):
        gio.write_container(tmp_path / "x", "model", {"bad": float("nan")}, {})


# --------------------------------------------------------------------------- fuzzing


def test_every_truncation_is_refused(saved: Path, tmp_path: Path) -> None:
    data = saved.read_bytes()
    assert len(data) < 8192  # small enough to try every cut
    cut = tmp_path / "cut.glassnet"
    for n in range(len(data)):
        cut.write_bytes(data[:n])
        with pytest.raises(ModelFileError, match=r"cannot load '.*cut\.glassnet'"):
            glassnet.load(cut)


def test_every_byte_flip_is_refused_or_harmless(
    net: MLPClassifier, saved: Path, tmp_path: Path
) -> None:
    data = bytearray(saved.read_bytes())
    bad = tmp_path / "flip.glassnet"
    X = np.array([[0.5, -1.0], [2.0, 0.25]])
    refused = harmless = 0
    for pos in range(len(data)):
        for mask in (0x01, 0xFF):  # the lowest bit, and every bit
            flipped = data.copy()
            flipped[pos] ^= mask
            bad.write_bytes(flipped)
            try:
                back = glassnet.load(bad)
            except ModelFileError:
                refused += 1
                continue
            assert _same_arrays(net, back), (pos, mask)
            np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))
            harmless += 1
    # Flips in the archive's bookkeeping (timestamps, attributes) are harmless;
    # every flip in the data or the description is caught.
    assert refused > 0.8 * 2 * len(data)
    assert harmless > 0


# --------------------------------------------------------------------------- forged files


def _peak_bytes(fn: Any) -> int:
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize(
    ("header", "match"),
    [
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (10**12, 10**6), }", "malformed"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000000), }", "shape"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }", "shape"),
        ("{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }", "dtype"),
        ("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", "dtype"),
        ("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", "Fortran"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", "data bytes"),
    ],
    ids=["expression", "huge", "negative", "object", "big-endian", "fortran", "short-data"],
)
def test_forged_npy_headers_are_refused_without_allocating(
    header: str, match: str, saved: Path
) -> None:
    members = _members(saved)
    index = next(i for i, (name, _) in enumerate(members) if name == "coefs_0.npy")
    members[index] = ("coefs_0.npy", _npy(header, b"\0" * 16))
    _rezip(saved, members)

    def attempt() -> None:
        with pytest.raises(ModelFileError, match=rf"member 'coefs_0\.npy'.*{match}"):
            glassnet.load(saved)

    assert _peak_bytes(attempt) < 2_000_000


def test_consistent_forged_huge_shapes_are_refused_before_allocating(saved: Path) -> None:
    # meta.json, the architecture and the .npy header all agree on a 16M-wide
    # layer, but the file does not hold the 256 MiB that implies.
    members = _members(saved)
    meta = json.loads(members[0][1])
    wide = gio.MAX_WIDTH - 1
    meta["state"]["architecture"]["layer_sizes"] = [2, wide, 2]
    shapes = {"coefs_0": [2, wide], "intercepts_0": [wide], "coefs_1": [wide, 2]}
    shapes["intercepts_1"] = [2]
    shapes["loss_curve"] = [meta["state"]["loss_curve"]["length"]]
    meta["state"]["hyperparameters"]["hidden_layer_sizes"] = [wide]
    for entry in meta["arrays"]:
        entry["shape"] = shapes[entry["name"]]
    new = [("meta.json", json.dumps(meta).encode())]
    for name, _ in members[1:]:
        shape = tuple(shapes[name.removesuffix(".npy")])
        new.append((name, _npy(f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}")))
    _rezip(saved, new)

    def attempt() -> None:
        with pytest.raises(ModelFileError, match=r"member 'coefs_0\.npy'.*0 data bytes, expected"):
            glassnet.load(saved)

    assert _peak_bytes(attempt) < 2_000_000


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda m: m["arrays"][0].update(shape=[-2, 3]), "shape must be 1 or 2 positive sizes"),
        (lambda m: m["arrays"][0].update(shape=[2**40, 3]), "shape must be 1 or 2 positive"),
        (lambda m: m["arrays"][0].update(dtype="object"), "dtype must be one of"),
        (lambda m: m["arrays"][0].update(sha256="xyz"), "sha256 must be 64"),
        (lambda m: m["arrays"][0].update(shape=[3, 2]), r"declared as float64 \(3, 2\)"),
        (lambda m: m["state"]["architecture"].update(layer_sizes=[2] * 1000), "layer_sizes"),
        (lambda m: m["state"]["architecture"].update(layer_sizes=[2, 0, 2]), "layer_sizes"),
        (lambda m: m["state"]["architecture"].update(dtype="float16"), "dtype must be one of"),
        (lambda m: m["state"].update(n_features_in=3), "n_features_in"),
        (lambda m: m["state"].update(feature_names_in=["a"]), "feature_names_in"),
        (
            lambda m: m["state"]["classes"].update(values=["a"]),
            "1 classes but an output width of 2",
        ),
        (lambda m: m["state"]["classes"].update(values=["a", "b", "c"]), "output width"),
        (lambda m: m["state"]["classes"].update(values=["a", "a"]), "labels repeat"),
        (lambda m: m["state"]["classes"].update(values=["a", 1]), "not of type str"),
        (lambda m: m["state"]["classes"].update(type="pickle"), "classes type must be"),
        (lambda m: m["state"]["classes"].update(dtype="<U100000000"), "not allowed for labels"),
        (lambda m: m.update(estimator="os.system"), "estimator must be one of"),
        (lambda m: m.update(magic="zip"), "no glassnet magic"),
        (lambda m: m.update(format_version="1"), "format_version must be a positive integer"),
        (lambda m: m.update(kind="checkpoint"), "holds a 'checkpoint', not a 'model'"),
        (
            lambda m: m["state"].update(export_version="1"),
            "state.export_version must be a positive integer, got '1'",
        ),
        (
            lambda m: m["state"].pop("export_version"),
            "state.export_version must be a positive integer, got None",
        ),
        (lambda m: m.pop("arrays"), "'arrays' must be a list"),
        (lambda m: m["state"].update(hyperparameters=[]), "hyperparameters must be a JSON"),
        (
            lambda m: m["state"]["hyperparameters"].update(activation="tanh"),
            "hyperparameters.activation 'tanh' differs from architecture.activation 'relu'",
        ),
        (
            lambda m: m["state"]["hyperparameters"].update(alpha=-1.0),
            r"cannot be rebuilt.*'alpha' parameter.*Got -1\.0",
        ),
    ],
    ids=[
        "negative-shape",
        "huge-shape",
        "object-dtype",
        "sha-format",
        "shape-vs-architecture",
        "too-many-layers",
        "zero-width",
        "float16",
        "n-features",
        "feature-names",
        "one-class",
        "class-count",
        "repeated-labels",
        "mixed-labels",
        "label-tag",
        "giant-label-dtype",
        "estimator",
        "magic",
        "version-type",
        "kind",
        "export-version-type",
        "export-version-missing",
        "no-arrays",
        "hyperparameters-type",
        "activation-mismatch",
        "bad-hyperparameter",
    ],
)
def test_forged_descriptions_are_refused(edit: Any, match: str, saved: Path) -> None:
    _edit_meta(saved, edit)
    with pytest.raises(ModelFileError, match=rf"member 'meta\.json'.*{match}"):
        glassnet.load(saved)


def test_newer_format_asks_for_an_upgrade(saved: Path) -> None:
    _edit_meta(saved, lambda m: m.update(format_version=gio.FORMAT_VERSION + 1))
    newer = gio.FORMAT_VERSION + 1
    with pytest.raises(UnsupportedFormatError, match=rf"format version {newer}.*Upgrade glassnet"):
        glassnet.load(saved)
    assert issubclass(UnsupportedFormatError, ModelFileError)
    assert issubclass(ModelFileError, ValueError)


def test_a_newer_estimator_export_asks_for_an_upgrade(saved: Path) -> None:
    _edit_meta(saved, lambda m: m["state"].update(export_version=MLPClassifier._export_version + 1))
    with pytest.raises(
        UnsupportedFormatError,
        match=r"model\.glassnet' \(member 'meta\.json'\): its MLPClassifier state is in "
        r"export version 2.*reads up to version 1\. Upgrade glassnet",
    ):
        glassnet.load(saved)


def test_extra_missing_and_compressed_members_are_refused(saved: Path) -> None:
    members = _members(saved)
    _rezip(saved, [*members, ("extra.npy", members[1][1])])
    with pytest.raises(ModelFileError, match=r"member 'extra\.npy'.*not declared"):
        glassnet.load(saved)
    _rezip(saved, members[:-1])
    with pytest.raises(ModelFileError, match=rf"member '{members[-1][0]}'.*missing"):
        glassnet.load(saved)
    _rezip(saved, members, compress=frozenset({members[1][0]}))
    with pytest.raises(ModelFileError, match=rf"member '{members[1][0]}'.*compressed"):
        glassnet.load(saved)
    _rezip(saved, [*members[1:], members[0]])
    with pytest.raises(ModelFileError, match=r"first member must be 'meta\.json'"):
        glassnet.load(saved)
    _rezip(saved, [*members, ("../evil.npy", b"")])
    with pytest.raises(ModelFileError, match=r"'\.\./evil\.npy'.*plain file names"):
        glassnet.load(saved)
    _rezip(saved, [*members, ("notes.txt", b"")])
    with pytest.raises(ModelFileError, match=r"'notes\.txt'.*unexpected member"):
        glassnet.load(saved)


def test_meta_json_is_bounded_and_strict(saved: Path) -> None:
    members = _members(saved)
    big = members[0][1][:-1] + b',"pad":"' + b"x" * gio.MAX_META_BYTES + b'"}'
    _rezip(saved, [("meta.json", big), *members[1:]])
    with pytest.raises(ModelFileError, match=r"'meta\.json'.*over the 1048576-byte limit"):
        glassnet.load(saved)
    _rezip(saved, [("meta.json", members[0][1].replace(b"0.0001", b"NaN")), *members[1:]])
    with pytest.raises(ModelFileError, match=r"'meta\.json'.*not valid JSON.*NaN"):
        glassnet.load(saved)
    _rezip(saved, [("meta.json", b"[" * 100_000), *members[1:]])
    with pytest.raises(ModelFileError, match=r"'meta\.json'.*not valid JSON"):
        glassnet.load(saved)


def test_checksum_and_finiteness_are_checked(saved: Path) -> None:
    members = _members(saved)
    name, data = members[1]
    arr = np.load(io.BytesIO(data), allow_pickle=False)
    buf = io.BytesIO()
    np.save(buf, arr + 1.0, allow_pickle=False)
    _rezip(saved, [*members[:1], (name, buf.getvalue()), *members[2:]])
    with pytest.raises(ModelFileError, match=rf"'{name}'.*SHA-256 mismatch"):
        glassnet.load(saved)
    # A NaN with a matching checksum (written by hand, not by glassnet.save).
    arr.flat[0] = np.nan
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    import hashlib

    def fix(meta: dict[str, Any]) -> None:
        meta["arrays"][0]["sha256"] = hashlib.sha256(arr.tobytes()).hexdigest()

    _rezip(saved, [*members[:1], (name, buf.getvalue()), *members[2:]])
    _edit_meta(saved, fix)
    with pytest.raises(ModelFileError, match=rf"'{name}'.*NaN or inf"):
        glassnet.load(saved)


def test_a_pickle_is_never_unpickled(tmp_path: Path, net: MLPClassifier) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Exploit(str(marker)))
    path = tmp_path / "model.glassnet"
    path.write_bytes(payload)
    with pytest.raises(ModelFileError, match=r"looks like a pickle: glassnet\.load never unpickle"):
        glassnet.load(path)
    assert not marker.exists()
    # ... nor a pickle hidden as a member that claims object dtype.
    buf = io.BytesIO()
    np.save(buf, np.array([_Exploit(str(marker))], dtype=object), allow_pickle=True)
    glassnet.save(net, path)
    members = _members(path)
    _rezip(path, [members[0], (members[1][0], buf.getvalue()), *members[2:]])
    with pytest.raises(ModelFileError, match="dtype"):
        glassnet.load(path)
    assert not marker.exists()


class _Exploit:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (Path(self.path),))


def test_other_failures_name_the_path(saved: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"cannot load '.*nope'.*cannot open the file"):
        glassnet.load(tmp_path / "nope")
    with pytest.raises(ModelFileError, match=r"over the 100-byte cap"):
        glassnet.load(saved, max_bytes=100)
    (tmp_path / "text").write_text("hello")
    with pytest.raises(ModelFileError, match=r"not a glassnet file.*glassnet\.save"):
        glassnet.load(tmp_path / "text")
    with pytest.raises(ModelFileError) as info:
        glassnet.load(tmp_path / "nope")
    assert isinstance(info.value.__cause__, FileNotFoundError)
    with pytest.raises(ModelFileError, match="not a regular file"):
        glassnet.load(tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")  # opening it would block until a writer came
        with pytest.raises(ModelFileError, match="not a regular file"):
            glassnet.load(tmp_path / "fifo")
    with pytest.raises(ValueError, match="max_bytes must be a positive integer"):
        glassnet.load(saved, max_bytes=0)


def test_pickle_still_works_for_trusted_use(net: MLPClassifier) -> None:
    # joblib and GridSearchCV need it; glassnet.load never uses it.
    back = pickle.loads(pickle.dumps(net))
    X = np.array([[0.1, 0.2], [-1.0, 2.0]])
    np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))


def test_a_model_that_cannot_be_rebuilt_is_refused(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(meta: Any, arrays: Any) -> Any:
        raise KeyError("hidden_layer_sizes")

    monkeypatch.setattr(MLPClassifier, "_import_state", broken)
    with pytest.raises(ModelFileError, match=r"cannot be rebuilt.*hidden_layer_sizes") as info:
        glassnet.load(saved)
    assert isinstance(info.value.__cause__, KeyError)


# --------------------------------------------------------------------------- atomic saves


@pytest.mark.parametrize("anonymous", [True, False], ids=["O_TMPFILE", "named-temp"])
def test_a_failed_rename_keeps_the_old_file_and_leaves_no_temp(
    anonymous: bool, saved: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    if anonymous and not hasattr(os, "O_TMPFILE"):
        pytest.skip("O_TMPFILE is Linux-only")
    if not anonymous:
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    before = saved.read_bytes()

    def refuse(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gio.os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        glassnet.save(_fit(rng, n=30), saved)
    assert saved.read_bytes() == before
    assert os.listdir(saved.parent) == [saved.name]


def test_a_writer_killed_midway_keeps_the_old_file(tmp_path: Path) -> None:
    if not hasattr(os, "O_TMPFILE"):
        pytest.skip("only an anonymous temporary file survives SIGKILL without a trace")
    target = tmp_path / "model.glassnet"
    gio.write_container(target, "model", {"n": 1}, {"w": np.ones(4)})
    before = target.read_bytes()
    script = textwrap.dedent(
        f"""
        import sys, time, zipfile
        import numpy as np
        import glassnet.persist.container as gio

        original = zipfile.ZipFile.writestr
        count = 0

        def slow(self, info, data, *args, **kwargs):
            global count
            original(self, info, data, *args, **kwargs)
            count += 1
            if count == 2:  # meta.json and one array are written
                self.fp.flush()
                print("midway", flush=True)
                time.sleep(60)

        zipfile.ZipFile.writestr = slow
        arrays = {{f"w{{i}}": np.zeros(1000) for i in range(5)}}
        gio.write_container({str(target)!r}, "model", {{"n": 2}}, arrays)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "midway", proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.glassnet"]
