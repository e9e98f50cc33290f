"""Every route to the same image gives the same findings, and those findings are the right ones.

The images are real builds by the engine (see conftest.py). The CLI runs in a subprocess, through
`python -m auditor` and through the installed `audit` script, so the shipped entry points are what is
tested. `audit files` is checked against an independent reading of the `docker save` archive: each
layer.tar read with `tarfile`, whiteouts applied by the small model below.
"""

from __future__ import annotations

import io
import json
import posixpath
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.docker

SCENARIOS = ("deleted", "overwritten", "hardlinked", "wiped", "multistage", "multistage-builder", "metadata")

# name: how it reaches the CLI (conftest.Routes.ref builds the reference)
ROUTES = {
    "daemon": "docker-daemon:NAME",
    "daemon-bare": "NAME",
    "archive": "docker-archive:PATH of `docker save`",
    "archive-bare": "PATH of `docker save`",
    "archive-gzip": "docker-archive:PATH of `docker save | gzip`",
    "archive-gzip-bare": "PATH of `docker save | gzip`",
    "oci-gzip": "oci:DIR:TAG by skopeo (gzip layers, its default)",
    "oci-zstd": "oci:DIR:TAG by skopeo --dest-compress-format zstd",
    "oci-plain": "oci:DIR:TAG by skopeo --dest-oci-accept-uncompressed-layers",
    "oci-bare": "DIR of the gzip layout",
    "oci-archive": "oci-archive:PATH:TAG by skopeo",
    "oci-archive-bare": "PATH of the OCI archive",
}
CANONICAL = "archive"
# The bare forms are what a user types, so they go through the `audit` console script.
SCRIPT_ROUTES = {"daemon-bare", "archive-bare", "oci-bare"}
DOCKER_ID_ROUTES = {r for r in ROUTES if r.startswith(("daemon", "archive"))}  # image.digest is the image id

FINDING_KEY = ("rule", "path", "status", "layer", "hidden_by", "location", "line", "fingerprint")


def _route_param(route: str) -> Any:
    marks = [pytest.mark.skopeo] if route.startswith("oci") else []
    return pytest.param(route, marks=marks, id=route)


ROUTE_PARAMS = [_route_param(r) for r in ROUTES]


@pytest.fixture(scope="module")
def audited(routes: Any, audit_cli: Any) -> Any:
    """`audited(scenario, route, files=, show_secrets=)`: the JSON of one CLI run (run once), with its exit
    code under "_exit"."""
    cache: dict[tuple[Any, ...], dict[str, Any]] = {}

    def get(name: str, route: str = CANONICAL, files: bool = False, show_secrets: bool = False) -> dict[str, Any]:
        key = (name, route, files, show_secrets)
        if key not in cache:
            ref = routes.ref(name, route)
            args = ["files", ref] if files else [ref]
            args += ["--format", "json"] + (["--show-secrets"] if show_secrets else [])
            proc = audit_cli(*args, entry="script" if route in SCRIPT_ROUTES else "module")
            allowed = (0,) if files else (0, 1)
            assert proc.returncode in allowed, (
                f"audit {' '.join(args)} exited {proc.returncode}\nstderr: {proc.stderr}\nstdout: {proc.stdout[:2000]}"
            )
            cache[key] = json.loads(proc.stdout) | {"_exit": proc.returncode}
        return cache[key]

    return get


def finding_set(doc: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {tuple(f[k] for k in FINDING_KEY) for f in doc["findings"]}


def layer_index(doc: dict[str, Any], *needles: str) -> int:
    """The index of the one layer whose instruction contains every needle."""
    found = [layer["index"] for layer in doc["image"]["layers"]
             if all(n in (layer["created_by"] or "") for n in needles)]
    assert len(found) == 1, f"layers made by an instruction with {needles}: {found}\n{doc['image']['layers']}"
    return found[0]


def at(doc: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["path"] == path]


# --- every route agrees ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTE_PARAMS)
@pytest.mark.parametrize("name", SCENARIOS)
def test_route_gives_the_same_findings(name: str, route: str, audited: Any, images: Any) -> None:
    expected = audited(name, CANONICAL)
    actual = audited(name, route)

    assert actual["not_scanned"] == [], actual["not_scanned"]
    missing = finding_set(expected) - finding_set(actual)
    extra = finding_set(actual) - finding_set(expected)
    assert not missing and not extra, (
        f"{route} ({ROUTES[route]}) differs from {CANONICAL}:\n"
        f"missing: {sorted(missing, key=str)}\nextra: {sorted(extra, key=str)}"
    )
    assert len(actual["findings"]) == len(expected["findings"])
    assert actual["_exit"] == expected["_exit"]

    def layers(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(layer["index"], layer["diff_id"], layer["created_by"]) for layer in doc["image"]["layers"]]

    assert layers(actual) == layers(expected)
    for field in ("layers", "entries", "hidden_bytes", "by_status", "by_severity"):
        assert actual["summary"][field] == expected["summary"][field], field
    if route in DOCKER_ID_ROUTES:
        assert actual["image"]["digest"] == images[name].id
    else:
        assert actual["image"]["digest"].startswith("sha256:")
        assert actual["image"]["digest"] != images[name].id  # an OCI manifest digest, not the config's


@pytest.mark.parametrize("route", ROUTE_PARAMS)
@pytest.mark.parametrize("name", ["deleted", "hardlinked", "wiped", "multistage"])
def test_route_lists_the_same_files(name: str, route: str, audited: Any) -> None:
    expected = audited(name, CANONICAL, files=True)["files"]
    actual = audited(name, route, files=True)["files"]
    assert sorted(actual, key=json.dumps) == sorted(expected, key=json.dumps)


def test_multi_image_archive_audits_the_image_asked_for(images: Any, audited: Any, audit_cli: Any, which: Any,
                                                        tmp_path: Path) -> None:
    wanted, other = images["overwritten"], images["deleted"]
    path = tmp_path / "two-images.tar"
    saved = subprocess.run([which("docker"), "save", "-o", str(path), other.tag, wanted.tag],
                           capture_output=True, text=True, timeout=600)
    assert saved.returncode == 0, saved.stderr
    expected = finding_set(audited("overwritten"))

    for args in ([str(path), "--image", wanted.tag], [f"docker-archive:{path}:{wanted.tag}"]):
        proc = audit_cli(*args, "--format", "json")
        assert proc.returncode == 1, proc.stderr
        doc = json.loads(proc.stdout)
        assert finding_set(doc) == expected, args
        assert doc["image"]["digest"] == wanted.id

    unnamed = audit_cli(str(path), "--format", "json")
    assert unnamed.returncode == 1
    assert "--image" in unnamed.stderr, "a multi-image archive warns that it audits only the first image"
    assert json.loads(unnamed.stdout)["image"]["digest"] in (wanted.id, other.id)

    absent = audit_cli(str(path), "--image", f"{wanted.tag}-absent")
    assert absent.returncode == 2
    assert wanted.tag in absent.stderr and other.tag in absent.stderr, "the error lists the archive's tags"


@pytest.mark.skopeo
@pytest.mark.parametrize(("compression", "media_type", "magic"), [
    ("gzip", "application/vnd.oci.image.layer.v1.tar+gzip", b"\x1f\x8b"),
    ("zstd", "application/vnd.oci.image.layer.v1.tar+zstd", b"\x28\xb5\x2f\xfd"),
    ("plain", None, None),
])
def test_skopeo_layouts_are_compressed_as_claimed(compression: str, media_type: str | None, magic: bytes | None,
                                                  routes: Any) -> None:
    """The OCI routes test what they say: each layout's layers really use that compression.

    For "plain", skopeo 1.9 writes uncompressed blobs but still labels them tar+gzip, so that route also
    shows that compression is sniffed from the bytes, never taken from the media type.
    """
    layout = routes.oci("deleted", compression)
    index = json.loads((layout / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"]
    manifest = json.loads(_blob(layout, manifest_digest).read_text())
    assert manifest["layers"]
    for layer in manifest["layers"]:
        head = _blob(layout, layer["digest"]).read_bytes()[:512]
        if magic is None:
            assert tarfile.TarInfo.frombuf(head, "utf-8", "surrogateescape").name, "an uncompressed tar"
        else:
            assert layer["mediaType"] == media_type
            assert head.startswith(magic)


def _blob(layout: Path, digest: str) -> Path:
    algorithm, _, hexpart = digest.partition(":")
    return layout / "blobs" / algorithm / hexpart


# --- the findings are the right ones -----------------------------------------------------------------


def test_copied_then_deleted_secrets_are_found_as_deleted(audited: Any, images: Any) -> None:
    doc = audited("deleted")
    key_layer = layer_index(doc, "COPY", "/root/.ssh/id_rsa")
    env_layer = layer_index(doc, "COPY", "/app/.env")
    rm_layer = layer_index(doc, "rm /root/.ssh/id_rsa /app/.env")

    key = at(doc, "/root/.ssh/id_rsa")
    assert {"ds-private-key", "private-key-file"} <= {f["rule"] for f in key}
    env = at(doc, "/app/.env")
    assert {"ds-aws-access-key", "dotenv-file"} <= {f["rule"] for f in env}
    for finding, layer in [(f, key_layer) for f in key] + [(f, env_layer) for f in env]:
        assert (finding["status"], finding["layer"], finding["hidden_by"]) == ("deleted", layer, rm_layer), finding
    assert all(f["status"] == "deleted" for f in doc["findings"]), "nothing in this image is still visible"
    assert doc["_exit"] == 1

    key_id = images.values.aws_key_id
    shown = audited("deleted", show_secrets=True)
    assert key_id in {f["secret"] for f in at(shown, "/app/.env") if f["rule"] == "ds-aws-access-key"}
    assert key_id not in json.dumps(doc), "secrets are redacted without --show-secrets"


def test_overwritten_token_is_found_as_overwritten(audited: Any) -> None:
    doc = audited("overwritten")
    copies = [layer["index"] for layer in doc["image"]["layers"] if "/app/config.yml" in (layer["created_by"] or "")]
    assert len(copies) == 2, doc["image"]["layers"]
    leaky_layer, clean_layer = copies

    token = [f for f in at(doc, "/app/config.yml") if f["rule"] == "ds-github-token"]
    assert len(token) == 1, at(doc, "/app/config.yml")
    assert (token[0]["status"], token[0]["layer"], token[0]["hidden_by"]) == ("overwritten", leaky_layer, clean_layer)
    assert all(f["layer"] == leaky_layer and f["status"] == "overwritten" for f in at(doc, "/app/config.yml"))

    files = audited("overwritten", files=True)["files"]
    config = {(e["layer"], e["status"], e["hidden_by"]) for e in files if e["path"] == "/app/config.yml"}
    assert config == {(leaky_layer, "overwritten", clean_layer), (clean_layer, "visible", None)}


def test_github_token_finding_holds_the_whole_token(audited: Any, images: Any) -> None:
    """detect-secrets' GitHub pattern captures only the prefix ("ghp", Yelp/detect-secrets#858); a finding
    must hold the whole token, or every GitHub token at a path would share one fingerprint."""
    shown = audited("overwritten", show_secrets=True)
    token = [f for f in at(shown, "/app/config.yml") if f["rule"] == "ds-github-token"]
    assert [f["secret"] for f in token] == [images.values.github_token]


def test_hard_link_keeps_the_secret_of_a_deleted_file_visible(audited: Any) -> None:
    doc = audited("hardlinked")
    rm_layer = layer_index(doc, "rm /app/token.txt")
    link_layer = layer_index(doc, "ln /app/token.txt")

    link = [f for f in at(doc, "/app/token-link.txt") if f["rule"] == "ds-github-token"]
    assert [(f["status"], f["layer"], f["hidden_by"]) for f in link] == [("visible", link_layer, None)]
    original = [f for f in at(doc, "/app/token.txt") if f["rule"] == "ds-github-token"]
    assert original and all(f["status"] in ("deleted", "overwritten") for f in original), original
    assert max(f["hidden_by"] for f in original) == rm_layer

    files = audited("hardlinked", files=True)["files"]
    names = {e["path"]: e for e in files if e["layer"] == link_layer}
    if "/app/token.txt" in names:  # overlay2 copies the target up, so the layer holds both names
        assert {names["/app/token.txt"]["type"], names["/app/token-link.txt"]["type"]} == {"file", "hardlink"}


def test_wiped_and_recreated_directory_hides_its_old_files(audited: Any) -> None:
    doc = audited("wiped")
    copy_layer = layer_index(doc, "COPY", "/app/secrets")
    wipe_layer = layer_index(doc, "rm -rf /app/secrets")

    key = at(doc, "/app/secrets/server.key")
    assert {"ds-private-key", "private-key-file"} <= {f["rule"] for f in key}
    assert {(f["status"], f["layer"], f["hidden_by"]) for f in key} == {("deleted", copy_layer, wipe_layer)}

    files = {(e["path"], e["layer"]): e for e in audited("wiped", files=True)["files"]}
    for path in ("/app/secrets/server.key", "/app/secrets/notes.txt"):
        entry = files[(path, copy_layer)]
        assert (entry["status"], entry["hidden_by"]) == ("deleted", wipe_layer), entry
    readme = files[("/app/secrets/readme", wipe_layer)]
    assert (readme["status"], readme["hidden_by"], readme["type"]) == ("visible", None, "file")
    # The directory itself is recreated, so both its entries are part of the final filesystem.
    assert files[("/app/secrets", wipe_layer)]["status"] == "visible"


def test_multistage_builder_secret_stays_out_of_the_final_image(audited: Any, images: Any) -> None:
    builder = audited("multistage-builder", show_secrets=True)
    leaked = [f for f in at(builder, "/src/.env") if f["rule"] == "ds-aws-access-key"]
    assert leaked and leaked[0]["status"] == "visible", \
        "the builder stage must hold the secret for this test to mean anything"
    assert leaked[0]["secret"] == images.values.builder_aws_key_id

    final = audited("multistage", show_secrets=True)
    assert not [f for f in final["findings"] if (f["path"] or "").startswith("/src/")]
    assert "ds-aws-access-key" not in {f["rule"] for f in final["findings"]}
    assert not {f["fingerprint"] for f in at(builder, "/src/.env")} & {f["fingerprint"] for f in final["findings"]}
    assert images.values.builder_aws_key_id not in json.dumps(final)
    assert "/src/.env" not in {e["path"] for e in audited("multistage", files=True)["files"]}

    # What the final stage does copy is found, visible.
    key_layer = layer_index(final, "/app/release.key")
    release = at(final, "/app/release.key")
    assert {"ds-private-key", "private-key-file"} <= {f["rule"] for f in release}
    assert {(f["status"], f["layer"], f["hidden_by"]) for f in release} == {("visible", key_layer, None)}


def test_build_arg_and_env_secrets_are_metadata_findings(audited: Any, images: Any, routes: Any) -> None:
    values = images.values
    doc = audited("metadata", show_secrets=True)
    config, _ = read_save_archive(routes.archive("metadata"))
    arg_history = [i for i, h in enumerate(config["history"]) if "NPM_TOKEN=" in h.get("created_by", "")]
    assert len(arg_history) == 1, config["history"]

    env = [f for f in doc["findings"] if f["rule"] == "secret-in-env"]
    assert [(f["status"], f["location"], f["path"], f["layer"], f["secret"]) for f in env] == [
        ("metadata", "config.Env", None, None, values.api_token)
    ]
    arg = [f for f in doc["findings"] if f["rule"] == "secret-in-build-arg"]
    assert [(f["status"], f["location"], f["path"], f["layer"], f["secret"]) for f in arg] == [
        ("metadata", f"history[{arg_history[0]}].created_by", None, None, values.npm_token)
    ]
    assert all(f["hidden_by"] is None and f["line"] is None for f in env + arg)


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_build_arg_secret_is_redacted_everywhere_in_the_report(fmt: str, routes: Any, audit_cli: Any,
                                                               images: Any) -> None:
    """The classic builder writes build arguments into the RUN's history, which the report prints as the
    layer's instruction (JSON image.layers[].created_by, the text format's layer heading)."""
    proc = audit_cli(routes.ref("metadata", CANONICAL), "--format", fmt)
    assert proc.returncode == 1, proc.stderr
    assert "secret-in-build-arg" in proc.stdout
    assert images.values.npm_token not in proc.stdout


# --- errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["{}", "docker-daemon:{}", "files {}"])
def test_unknown_image_exits_2_and_suggests_pull(form: str, audit_cli: Any, images: Any) -> None:
    name = f"layer-auditor-test/absent:{images.values.api_token[:8].lower()}"
    proc = audit_cli(*form.format(name).split(), entry="script")
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "--pull" in proc.stderr
    assert name in proc.stderr
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


# --- `audit files` against an independent reading of the archive --------------------------------------


def _kind(info: tarfile.TarInfo) -> str:
    if info.isreg():
        return "file"
    if info.islnk():
        return "hardlink"
    if info.issym():
        return "symlink"
    if info.isdir():
        return "dir"
    return "other"


def read_save_archive(path: Path) -> tuple[dict[str, Any], list[list[tuple[str, str, int]]]]:
    """The config and each layer's entries (path, type, size) of a `docker save` archive, base first."""
    with tarfile.open(path) as outer:
        def member(name: str) -> Any:
            handle = outer.extractfile(name)
            assert handle is not None, name
            return handle

        (image,) = json.load(member("manifest.json"))
        config = json.load(member(image["Config"]))
        layers = []
        for name in image["Layers"]:
            with tarfile.open(fileobj=member(name), mode="r:*") as layer:
                layers.append([
                    (posixpath.normpath("/" + info.name.lstrip("/")), _kind(info), info.size if info.isreg() else 0)
                    for info in layer
                ])
    return config, layers


def model_fates(layers: list[list[tuple[str, str, int]]]) -> dict[tuple[str, int], tuple[str, int, str, int | None]]:
    """(path, layer) -> (type, size, status, hidden_by), by replaying the layers base first on a plain dict.

    A `.wh.NAME` removes NAME and everything under it, `.wh..wh..opq` everything under its directory,
    both only from lower layers; a new entry at a path overwrites what was there, whatever the types, and
    deletes everything under a replaced directory, except that a directory over a directory merges.
    """
    fates: dict[tuple[str, int], list[Any]] = {}
    live: dict[str, list[int]] = {}  # path -> layers whose entry at path is still visible

    def hide(path: str, status: str, by: int) -> None:
        for layer in live.pop(path, []):
            fates[(path, layer)][2:] = [status, by]

    def hide_under(path: str, by: int) -> None:
        prefix = path.rstrip("/") + "/"
        for other in [p for p in live if p.startswith(prefix)]:
            hide(other, "deleted", by)

    for index, entries in enumerate(layers):
        for path, _, _ in entries:
            parent, name = posixpath.split(path)
            if name == ".wh..wh..opq":
                hide_under(parent, index)
            elif name.startswith(".wh."):
                target = posixpath.join(parent, name[len(".wh."):])
                hide(target, "deleted", index)
                hide_under(target, index)
        for path, kind, size in entries:
            if path == "/" or posixpath.basename(path).startswith(".wh."):
                continue
            below = live.get(path)
            if below:
                old = fates[(path, below[-1])][0]
                if not (old == "dir" and kind == "dir"):
                    hide(path, "overwritten", index)
                    if old == "dir":
                        hide_under(path, index)
            fates[(path, index)] = [kind, size, "visible", None]
            live.setdefault(path, []).append(index)
    return {key: tuple(value) for key, value in fates.items()}  # type: ignore[misc]


@pytest.mark.parametrize("name", [*SCENARIOS, "replaced"])
def test_files_agree_with_an_independent_reading_of_the_archive(name: str, audited: Any, routes: Any) -> None:
    _, layers = read_save_archive(routes.archive(name))
    expected = model_fates(layers)
    listed = audited(name, files=True)["files"]
    actual = {(e["path"], e["layer"]): (e["type"], e["size"], e["status"], e["hidden_by"]) for e in listed}
    assert len(actual) == len(listed), "each (path, layer) is listed once"

    wrong = {k: (expected.get(k), actual.get(k)) for k in expected.keys() | actual.keys()
             if expected.get(k) != actual.get(k)}
    assert not wrong, "(path, layer): (model, audit files) differ:\n" + "\n".join(
        f"  {k}: {v}" for k, v in sorted(wrong.items(), key=str))

    # Every finding on a file stands where `audit files` says that file stands.
    for finding in audited(name)["findings"]:
        if finding["path"] is not None:
            _, _, status, hidden_by = actual[(finding["path"], finding["layer"])]
            assert (finding["status"], finding["hidden_by"]) == (status, hidden_by), finding
    if name in ("deleted", "overwritten", "wiped"):
        assert {"deleted", "overwritten"} & {status for _, _, status, _ in expected.values()}


def test_a_file_replaced_by_a_symlink_is_overwritten_and_a_recreated_directory_deletes_the_old_files(
        audited: Any, images: Any, docker_client: Any) -> None:
    """`rm /a/f && ln -s x /a/f` overwrites /a/f (the path is still there); `rm -r /a/g && mkdir /a/g`
    deletes what was under /a/g. What `audit files` calls visible under /a is what overlay2 itself shows
    in a container of the image."""
    doc = audited("replaced")
    rows = {(f["path"], f["layer"]): (f["type"], f["status"], f["hidden_by"])
            for f in audited("replaced", files=True)["files"]}
    copy, symlink, mkdir = (layer_index(doc, "COPY", "/a/"), layer_index(doc, "ln -s x /a/f"),
                            layer_index(doc, "mkdir /a/g"))
    assert rows[("/a/f", copy)] == ("file", "overwritten", symlink)
    assert rows[("/a/f", symlink)] == ("symlink", "visible", None)
    assert rows[("/a/g/notes.txt", copy)] == ("file", "deleted", mkdir)
    assert {(f["status"], f["hidden_by"]) for f in at(doc, "/a/f")} == {("overwritten", symlink)}

    container = docker_client.containers.create(images["replaced"].tag, command=["true"])
    try:
        with tarfile.open(fileobj=io.BytesIO(b"".join(container.export())), mode="r:") as tar:
            merged = {posixpath.normpath("/" + info.name) for info in tar}
    finally:
        container.remove(force=True)
    visible = {path for (path, _), (_, status, _) in rows.items() if status == "visible"}
    under_a = {p for p in merged | visible if p == "/a" or p.startswith("/a/")}
    assert {p for p in under_a if p in merged} == {p for p in under_a if p in visible} == {"/a", "/a/f", "/a/g"}
