"""Build the benchmark images with the real engine and save each as a docker archive, an OCI layout
(gzip) and an oci-archive.

    python bench/build_image.py [--dir /tmp/la-bench] [--rebuild] [--base debmin:bookworm]

Two images, each saved under DIR only when its files are missing:

- `base`: the debootstrap'ed Debian bookworm minbase (`debootstrap --variant=minbase` + `docker import`),
  created when the `--base` tag is not in the engine;
- `app` (`la-bench:app`): FROM that base, a layer of packages (python3, git, a headless JRE; a few
  hundred MB), the application, a layer of planted secrets (an SSH private key, an .env with an AWS key,
  a config with a GitHub token, all freshly generated fake values) and a layer that deletes or
  overwrites them again.

Needs DOCKER_HOST (classic builder), skopeo, and for a missing base debootstrap and root.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_DIR = os.environ.get("LA_BENCH_DIR", "/tmp/la-bench")
BASE_TAG = "debmin:bookworm"
APP_TAG = "la-bench:app"
PACKAGES = "python3 git default-jre-headless"
FALLBACK_MIRROR = "http://deb.debian.org/debian"
SEED = 20240601  # the fake secrets are the same on every rebuild

# The in-image paths of the planted secrets (what every contender should find).
PLANTED = ("/root/.ssh/id_ed25519", "/app/.env", "/app/config/settings.yml")

DOCKERFILE = f"""\
FROM {{base}}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends {PACKAGES}
COPY app/ /app/
COPY planted/ /
RUN rm -f /root/.ssh/id_ed25519 && rm -rf /var/lib/apt/lists/* \\
 && echo "AWS_REGION=eu-west-1" > /app/.env
WORKDIR /app
CMD ["python3", "/app/main.py"]
"""

APP_MAIN = """\
import os  # a stand-in application


def main():
    print("region", os.environ.get("AWS_REGION"))


if __name__ == "__main__":
    main()
"""


@dataclass(frozen=True)
class Artifacts:
    """Where one saved image lives."""

    name: str
    tag: str
    docker_archive: str
    oci_layout: str
    oci_archive: str

    def ref(self, transport: str) -> str:
        """The `audit` reference of this image for a transport: docker-archive, oci or oci-archive."""
        if transport == "docker-archive":
            return f"docker-archive:{self.docker_archive}"
        if transport == "oci":
            return f"oci:{self.oci_layout}:{self.name}"
        return f"oci-archive:{self.oci_archive}:{self.name}"

    def present(self) -> bool:
        """All three saved forms exist."""
        return (os.path.isfile(self.docker_archive) and os.path.isfile(os.path.join(self.oci_layout, "index.json"))
                and os.path.isfile(self.oci_archive))


def artifacts(cache_dir: str, name: str, tag: str) -> Artifacts:
    """The file names of image `name` in `cache_dir`."""
    stem = os.path.join(cache_dir, name)
    return Artifacts(name, tag, f"{stem}.docker.tar", f"{stem}.oci", f"{stem}.oci.tar")


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"build: {message}", file=sys.stderr, flush=True)


def run(cmd: Sequence[str], **kwargs: object) -> None:
    """Run a command, echoing it; fail loudly."""
    log("$ " + " ".join(cmd))
    subprocess.run(list(cmd), check=True, **kwargs)  # type: ignore[call-overload]


def image_exists(tag: str) -> bool:
    """Whether the engine has `tag`."""
    return subprocess.run(["docker", "image", "inspect", tag], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False).returncode == 0


def apt_mirror() -> str:
    """The Debian mirror apt is configured with on this machine (main archive, not security)."""
    files = ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list")),
             *sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))]
    for path in files:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if path.endswith(".sources") and words[:1] == ["URIs:"]:
                uris = words[1:]
            elif words[:1] == ["deb"]:
                uris = [w for w in words[1:] if not w.startswith("[")][:1]
            else:
                continue
            for uri in uris:
                if uri.rstrip("/").endswith("/debian"):
                    return uri.rstrip("/")
    return FALLBACK_MIRROR


def ensure_base(tag: str, rootfs: str) -> None:
    """Create `tag` from a debootstrap'ed bookworm minbase tree unless the engine has it."""
    if image_exists(tag):
        return
    if not os.path.isfile(os.path.join(rootfs, "etc", "debian_version")):
        if shutil.which("debootstrap") is None:
            raise SystemExit(f"build: {tag} is missing and debootstrap is not installed")
        partial = rootfs + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        run(["debootstrap", "--variant=minbase", "bookworm", partial, apt_mirror()])
        os.rename(partial, rootfs)
    log(f"importing {rootfs} as {tag}")
    tar = subprocess.Popen(["tar", "-C", rootfs, "--numeric-owner", "-cf", "-", "."], stdout=subprocess.PIPE)
    try:
        subprocess.run(["docker", "import", "-", tag], stdin=tar.stdout, check=True, stdout=subprocess.DEVNULL)
    finally:
        assert tar.stdout is not None
        tar.stdout.close()
        if tar.wait() != 0:
            raise SystemExit(f"build: tar of {rootfs} failed")


def _base62(number: int, width: int) -> str:
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    out = ""
    while number:
        number, rest = divmod(number, 62)
        out = alphabet[rest] + out
    return out.rjust(width, "0")


def fake_secrets(rng: random.Random) -> dict[str, str]:
    """Freshly generated fake credentials in their real formats (a GitHub token carries its checksum)."""
    upper = string.ascii_uppercase + string.digits
    alnum = string.ascii_letters + string.digits
    body = "".join(rng.choice(alnum) for _ in range(30))
    return {
        "aws_key_id": "AKIA" + "".join(rng.choice(upper) for _ in range(16)),
        "aws_secret": "".join(rng.choice(alnum + "+/") for _ in range(40)),
        "github_token": "ghp_" + body + _base62(zlib.crc32(body.encode()), 6),
        "db_password": "".join(rng.choice(alnum) for _ in range(24)),
    }


def private_key(rng: random.Random) -> str:
    """An OpenSSH private key: a real throwaway one from ssh-keygen, else a well-formed fake."""
    if shutil.which("ssh-keygen"):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "key")
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench@la-bench", "-f", path],
                           check=True, stdout=subprocess.DEVNULL)
            with open(path, encoding="ascii") as handle:
                return handle.read()
    import base64

    blob = base64.b64encode(b"openssh-key-v1\0" + rng.randbytes(380)).decode()
    lines = [blob[i:i + 70] for i in range(0, len(blob), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----\n"


def write_context(context: str, base: str) -> None:
    """The build context: Dockerfile, a stand-in app, and the planted secrets."""
    rng = random.Random(SEED)
    values = fake_secrets(rng)
    files = {
        "Dockerfile": DOCKERFILE.format(base=base),
        "app/main.py": APP_MAIN,
        "app/requirements.txt": "pyyaml==6.0.1\nrequests==2.32.3\n",
        "planted/root/.ssh/id_ed25519": private_key(rng),
        "planted/app/.env": (
            "AWS_REGION=eu-west-1\n"
            f"AWS_ACCESS_KEY_ID={values['aws_key_id']}\n"
            f"AWS_SECRET_ACCESS_KEY={values['aws_secret']}\n"
            f"DATABASE_URL=postgres://app:{values['db_password']}@db.internal:5432/app\n"
        ),
        "planted/app/config/settings.yml": (
            "service:\n  name: la-bench\n  port: 8080\n"
            f"github:\n  org: example\n  token: {values['github_token']}\n"
        ),
    }
    shutil.rmtree(context, ignore_errors=True)
    for name, text in files.items():
        path = os.path.join(context, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    os.chmod(os.path.join(context, "planted/root/.ssh/id_ed25519"), 0o600)


def build_app(cache_dir: str, base: str, tag: str) -> None:
    """`docker build` the application image on the base (host network: the engine runs without a bridge)."""
    context = os.path.join(cache_dir, "context")
    write_context(context, base)
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    run(["docker", "build", "--network", "host", "--pull=false", "-t", tag, context], env=env,
        stdout=subprocess.DEVNULL if not os.environ.get("LA_BENCH_VERBOSE") else None)


def save(art: Artifacts) -> None:
    """`docker save`, then skopeo to an OCI layout (gzip) and an oci-archive with the same blobs."""
    for path in (art.docker_archive + ".tmp", art.oci_layout, art.oci_archive + ".tmp"):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    run(["docker", "save", "-o", art.docker_archive + ".tmp", art.tag])
    os.replace(art.docker_archive + ".tmp", art.docker_archive)
    run(["skopeo", "copy", "--quiet", "--dest-compress-format", "gzip",
         f"docker-archive:{art.docker_archive}", f"oci:{art.oci_layout}:{art.name}"])
    run(["skopeo", "copy", "--quiet", f"oci:{art.oci_layout}:{art.name}",
         f"oci-archive:{art.oci_archive}.tmp:{art.name}"])
    os.replace(art.oci_archive + ".tmp", art.oci_archive)


def ensure(cache_dir: str = DEFAULT_DIR, base: str = BASE_TAG, rootfs: str | None = None, rebuild: bool = False,
           only_base: bool = False) -> dict[str, Artifacts]:
    """Make sure the base (and unless `only_base`, the app) image is saved under `cache_dir`."""
    os.makedirs(cache_dir, exist_ok=True)
    rootfs = rootfs or os.path.join(cache_dir, "rootfs")
    result = {"base": artifacts(cache_dir, "base", base)}
    if not only_base:
        result["app"] = artifacts(cache_dir, "app", APP_TAG)
    for name, art in result.items():
        if art.present() and not rebuild:
            log(f"{name}: present in {cache_dir}, not rebuilt (--rebuild to force)")
            continue
        started = time.monotonic()
        ensure_base(base, rootfs)
        if name == "app" and (rebuild or not image_exists(art.tag)):
            build_app(cache_dir, base, art.tag)
        save(art)
        log(f"{name}: saved in {time.monotonic() - started:.0f}s")
    info = {name: {"tag": a.tag, "docker_archive": a.docker_archive, "oci_layout": a.oci_layout,
                   "oci_archive": a.oci_archive} for name, a in result.items()}
    with open(os.path.join(cache_dir, "images.json"), "w", encoding="utf-8") as handle:
        json.dump({**info, "planted": list(PLANTED)}, handle, indent=2)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Build and save the bench images."""
    parser = argparse.ArgumentParser(prog="build_image.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=DEFAULT_DIR, help="cache directory (default: %(default)s, or $LA_BENCH_DIR)")
    parser.add_argument("--base", default=BASE_TAG, help="tag of the debootstrap base image (default: %(default)s)")
    parser.add_argument("--rootfs", help="debootstrap directory for a missing base (default: DIR/rootfs)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the app image and re-save everything")
    parser.add_argument("--quick", action="store_true", help="only the base image")
    args = parser.parse_args(argv)
    for art in ensure(args.dir, args.base, args.rootfs, args.rebuild, args.quick).values():
        print(f"{art.name}: {art.tag}\n  {art.docker_archive}\n  {art.oci_layout}\n  {art.oci_archive}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
