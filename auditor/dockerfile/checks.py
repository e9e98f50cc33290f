"""Dockerfile checks: what an instruction leaves in a layer that a later instruction only hides.

Findings come only from the stages whose layers ship (the target and the stages it is built FROM);
other stages matter only through what `COPY --from` takes out of them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Iterator

from auditor.audit import Scanner
from auditor.checks.metadata import Item, MetadataCheck
from auditor.checks.path import PathCheck
from auditor.dockerfile import context as build_context
from auditor.dockerfile.parse import Dockerfile, Instruction, Stage, parse, shipping_stages
from auditor.dockerfile.shell import commands
from auditor.model import Entry, Kind, RuleId, Severity, Status
from auditor.rules import Rule

ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2|tar\.zst|zip|jar|war|whl|deb|rpm|apk|gz|xz|bz2|7z|run|bin|sh|msi|exe)$")
URL = re.compile(r"^(https?|ftp)://", re.IGNORECASE)
MAX_CONTENT = 1024 * 1024


@dataclass(frozen=True)
class DockerfileFinding:
    """One Dockerfile finding: where (file, line), what rule, and the other instruction involved."""

    rule: RuleId
    severity: Severity
    file: str
    line: int
    message: str
    remediation: str
    related_line: int | None = None
    path: str | None = None
    secret: str | None = None

    @property
    def fingerprint(self) -> str:
        secret = hashlib.sha256(self.secret.encode()).hexdigest() if self.secret else ""
        return hashlib.sha256(f"{self.rule}\0{self.path or ''}\0{self.message if not self.path else ''}\0{secret}"
                              .encode()).hexdigest()[:32]


@dataclass
class Added:
    """Something an instruction put into a stage's filesystem."""

    path: str
    line: int
    how: str  # "COPY", "ADD", "RUN"
    tree: bool = False  # a directory: everything under `path`
    flagged: list[Rule] = field(default_factory=list)
    removed_by: int | None = None
    download: bool = False


@dataclass
class _StageState:
    added: list[Added] = field(default_factory=list)
    args: dict[str, tuple[int, str | None]] = field(default_factory=dict)  # name -> (line, default)
    env: set[str] = field(default_factory=set)


class DockerfileAuditor:
    """Runs every Dockerfile check with the same rules as image scanning plus the `dockerfile` rules."""

    def __init__(self, rules: list[Rule], context_dir: str | None = None, target: str | None = None) -> None:
        self.rules = rules
        self.own = {str(r.params.get("check")): r for r in rules if r.kind == "dockerfile"}
        self.paths = PathCheck(rules)
        self.metadata = MetadataCheck(rules)
        self.scanner = Scanner(rules)
        self.context_dir = context_dir
        self.target = target
        self.secret_arg_names = [
            re.compile(str(r.params["name"]), re.IGNORECASE)
            for r in rules
            if r.kind == "metadata" and "history" in r.params.get("where", ()) and r.params.get("name")
        ]

    def audit(self, path: str) -> list[DockerfileFinding]:
        dockerfile = parse(path)
        context_dir = self.context_dir if self.context_dir is not None else os.path.dirname(os.path.abspath(path))
        ctx = build_context.Context(context_dir, os.path.basename(path)) if os.path.isdir(context_dir) else None
        shipping = {s.index for s in shipping_stages(dockerfile, self.target)}
        states: dict[int, _StageState] = {}
        findings: list[DockerfileFinding] = []
        with self.scanner.secrets.session():
            for stage in dockerfile.stages:
                state = _StageState()
                parent = dockerfile.stage(stage.base)
                if parent is not None and parent.index in states and parent.index < stage.index:
                    inherited = states[parent.index]
                    state.added = [Added(**vars(a)) for a in inherited.added]
                    state.args = dict(inherited.args)
                states[stage.index] = state
                found = list(self._stage(dockerfile, stage, state, states, ctx))
                if stage.index in shipping:
                    findings.extend(found)
        unique = {(f.rule, f.line, f.path, f.message): f for f in findings}
        return sorted(unique.values(), key=lambda f: (f.line, -f.severity.rank, f.rule))

    # --- one stage ---------------------------------------------------------------------------------

    def _stage(self, dockerfile: Dockerfile, stage: Stage, state: _StageState, states: dict[int, _StageState],
               ctx: build_context.Context | None) -> Iterator[DockerfileFinding]:
        file = dockerfile.path
        for ins in stage.instructions:
            if ins.cmd in ("COPY", "ADD"):
                yield from self._copy(file, dockerfile, ins, state, states, ctx)
            elif ins.cmd == "RUN":
                yield from self._run(file, ins, state)
            elif ins.cmd == "ARG":
                for word in ins.value:
                    name, sep, default = word.partition("=")
                    state.args[name] = (ins.line, _unquote(default) if sep else None)
                    if sep and default:
                        yield from self._metadata(file, ins.line, Item("history", "ARG", name, _unquote(default)))
            elif ins.cmd == "ENV":
                for name, value in _pairs(ins.value):
                    state.env.add(name)
                    yield from self._metadata(file, ins.line, Item("env", "ENV", name, value))
            elif ins.cmd == "LABEL":
                for name, value in _pairs(ins.value):
                    yield from self._metadata(file, ins.line, Item("labels", "LABEL", name, value))

    def _metadata(self, file: str, line: int, item: Item) -> Iterator[DockerfileFinding]:
        for rule in self.metadata.match(item):
            yield DockerfileFinding(rule.id, rule.severity, file, line,
                                    f"{item.location} {item.key}: {rule.message or rule.description}",
                                    rule.remediation, secret=item.value)
        for hit in self.scanner.scan_text(item.text, "Dockerfile"):
            rule = next(r for r in self.rules if r.id == hit.rule)
            yield DockerfileFinding(rule.id, rule.severity, file, line, f"{item.location} {item.key}: {hit.message}",
                                    rule.remediation, secret=hit.secret)

    # --- COPY / ADD --------------------------------------------------------------------------------

    def _copy(self, file: str, dockerfile: Dockerfile, ins: Instruction, state: _StageState,
              states: dict[int, _StageState], ctx: build_context.Context | None) -> Iterator[DockerfileFinding]:
        if ins.heredocs or len(ins.value) < 2:
            return
        *sources, dest = ins.value
        dest_abs = _resolve(dest, ins.workdir)
        into_dir = dest.endswith("/") or len(sources) > 1
        from_ref = ins.flag("from")
        for source in sources:
            if from_ref is not None:
                yield from self._copy_from(file, dockerfile, ins, source, dest_abs, into_dir, state, states)
                continue
            if ins.cmd == "ADD" and URL.match(source):
                name = posixpath.basename(source.split("?")[0].rstrip("/")) or "download"
                target = posixpath.join(dest_abs, name) if into_dir or dest.endswith("/") else dest_abs
                state.added.append(Added(target, ins.line, "ADD", download=True))
                continue
            target = posixpath.join(dest_abs, posixpath.basename(source.rstrip("/"))) if into_dir else dest_abs
            files = ctx.expand(source) if ctx is not None else None
            is_tree = source in (".", "./") or (files is not None and any(f.is_dir and f.rel == _clean(source)
                                                                            for f in files))
            added = Added(dest_abs if is_tree else target, ins.line, ins.cmd, tree=is_tree)
            if files is None or not files:
                added.flagged = self._flag(added.path, Kind.FILE)
            for item in files or []:
                in_image = _in_image(item.rel, source, dest_abs, target, is_tree)
                rules = self._flag(in_image, Kind.DIR if item.is_dir else Kind.FILE)
                if not item.is_dir and ctx is not None:
                    rules += self._content_rules(ctx.path(item.rel), in_image)
                if rules:
                    added.flagged.extend(rules)
                    for rule in rules:
                        what = "directory" if item.is_dir else "file"
                        why = ("the build context's .dockerignore does not exclude it"
                               if is_tree or source != item.rel else "it is named in the instruction")
                        by_context = is_tree or source != item.rel
                        fix = f"Add `{item.rel}` to .dockerignore. " if by_context else ""
                        yield DockerfileFinding(
                            rule.id, rule.severity, file, ins.line,
                            f"{ins.cmd} {source} puts the {what} {item.rel} into the image at {in_image}; {why}",
                            fix + rule.remediation,
                            path=in_image,
                        )
            if files is None and added.flagged:
                for rule in added.flagged:
                    yield DockerfileFinding(rule.id, rule.severity, file, ins.line,
                                            f"{ins.cmd} puts {added.path} into a layer", rule.remediation,
                                            path=added.path)
            state.added.append(added)

    def _copy_from(self, file: str, dockerfile: Dockerfile, ins: Instruction, source: str, dest_abs: str,
                   into_dir: bool, state: _StageState, states: dict[int, _StageState]) -> Iterator[DockerfileFinding]:
        stage = dockerfile.stage(ins.flag("from") or "")
        src_abs = _resolve(source, "/")
        target = posixpath.join(dest_abs, posixpath.basename(src_abs)) if into_dir else dest_abs
        copied = Added(target, ins.line, "COPY", tree=True)
        if stage is not None and stage.index in states:
            for item in states[stage.index].added:
                if item.removed_by is not None or not item.flagged:
                    continue
                if not (_under(item.path, src_abs) or src_abs in ("/", "/.")):
                    continue
                in_image = posixpath.join(target, posixpath.relpath(item.path, src_abs)) if item.path != src_abs else target
                for rule in item.flagged:
                    copied.flagged.append(rule)
                    yield DockerfileFinding(
                        rule.id, rule.severity, file, ins.line,
                        f"COPY --from={ins.flag('from')} {source} copies {item.path} (added at line {item.line}) "
                        f"into the final image at {in_image}",
                        f"Copy only the build output from the stage, not {item.path}. {rule.remediation}",
                        related_line=item.line, path=in_image,
                    )
        state.added.append(copied)

    def _flag(self, path: str, kind: Kind) -> list[Rule]:
        entry = Entry(path=path, layer=0, kind=kind, size=0, mode=0o644, link=None)
        return list(self.paths.match(entry))

    def _content_rules(self, disk_path: str, in_image: str) -> list[Rule]:
        try:
            if os.path.getsize(disk_path) > MAX_CONTENT:
                return []
            with open(disk_path, "rb") as handle:
                data = handle.read(MAX_CONTENT)
        except OSError:
            return []
        ids = {hit.rule for hit in self.scanner.scan_file(in_image, data)}
        return [r for r in self.rules if r.id in ids and r.severity.rank >= Severity.MEDIUM.rank]

    # --- RUN ---------------------------------------------------------------------------------------

    def _run(self, file: str, ins: Instruction, state: _StageState) -> Iterator[DockerfileFinding]:
        cmds = commands(ins)
        removed = [_resolve(_home(p), ins.workdir) for c in cmds for p in _rm_targets(c)]
        # Files added by earlier instructions and removed here still ship in the earlier layer.
        for item in state.added:
            if item.removed_by is not None or item.line == ins.line:
                continue
            for target in removed:
                hit = _removes(target, item)
                if hit is None:
                    continue
                item.removed_by = ins.line
                yield self._hidden(file, item, hit, ins)
                break
        created = _created(cmds, ins.workdir)
        for path in created:
            if any(_removes(target, Added(path, ins.line, "RUN")) for target in removed):
                continue
            state.added.append(Added(path, ins.line, "RUN", download=True,
                                     flagged=self._flag(path, Kind.FILE)))
            rule = self.own.get("download-left")
            if rule is not None:
                yield DockerfileFinding(rule.id, rule.severity, file, ins.line,
                                        f"RUN leaves {path} in its layer: it is not removed in the same RUN",
                                        rule.remediation, path=path)
        if "package-cache" in self.own:
            yield from self._caches(file, ins, cmds, state)
        rule = self.own.get("arg-in-history")
        if rule is not None and not ins.flag("mount") == "type=secret":
            for name, (line, _default) in list(state.args.items()):
                if any(p.search(name) for p in self.secret_arg_names):
                    yield DockerfileFinding(
                        rule.id, rule.severity, file, line,
                        f"ARG {name} is recorded in the image history by the RUN at line {ins.line} "
                        f"(`docker history --no-trunc` shows its value)",
                        rule.remediation, related_line=ins.line, path=None,
                    )
                    del state.args[name]

    def _hidden(self, file: str, item: Added, removed: str, ins: Instruction) -> DockerfileFinding:
        secret = [r for r in item.flagged if r.severity.rank >= Severity.MEDIUM.rank]
        rule = self.own.get("hidden-secret" if secret else "hidden-file") or self.own.get("hidden-file")
        assert rule is not None
        why = f" (flagged by {', '.join(sorted({r.id for r in secret}))})" if secret else ""
        return DockerfileFinding(
            rule.id, max([rule.severity, *(r.severity for r in secret)], key=lambda s: s.rank), file, item.line,
            f"{removed} is added by {item.how} at line {item.line} and removed by RUN at line {ins.line}{why}: "
            f"it still ships in the layer of line {item.line}",
            rule.remediation, related_line=ins.line, path=removed,
        )

    def _caches(self, file: str, ins: Instruction, cmds: list[list[str]], state: _StageState
                ) -> Iterator[DockerfileFinding]:
        rule = self.own["package-cache"]
        mounts = " ".join(ins.flag_values("mount"))
        flat = [" ".join(c) for c in cmds]
        reported: set[str] = set()
        for cmd in cmds:
            manager = _package_manager(cmd)
            if manager is None:
                continue
            name, cache, cleaned_by = manager
            if name in reported:
                continue
            reported.add(name)
            if cache and f"type=cache" in mounts and cache in mounts:
                continue
            if any(re.search(pattern, line) for pattern in cleaned_by for line in flat):
                continue
            if name == "pip" and ("PIP_NO_CACHE_DIR" in state.env or "--no-cache-dir" in cmd):
                continue
            if name == "apk" and "--no-cache" in cmd:
                continue
            yield DockerfileFinding(rule.id, rule.severity, file, ins.line,
                                    f"`{' '.join(cmd[:3])}` leaves its package cache ({cache}) in this layer",
                                    rule.remediation + " " + CACHE_FIX[name], path=cache)


CACHE_FIX = {
    "apt": "For apt: `apt-get update && apt-get install -y --no-install-recommends … && rm -rf /var/lib/apt/lists/*`"
           " in one RUN.",
    "apk": "For apk: `apk add --no-cache …`.",
    "pip": "For pip: `pip install --no-cache-dir …` (or ENV PIP_NO_CACHE_DIR=1).",
    "npm": "For npm: `npm ci && npm cache clean --force` in one RUN, or `RUN --mount=type=cache,target=/root/.npm`.",
    "yarn": "For yarn: `yarn install --frozen-lockfile && yarn cache clean` in one RUN.",
    "dnf": "For dnf/yum: `dnf install -y … && dnf clean all` in one RUN.",
}


def _package_manager(cmd: list[str]) -> tuple[str, str, list[str]] | None:
    if not cmd:
        return None
    tool = posixpath.basename(cmd[0])
    words = cmd[1:]
    if tool in ("apt-get", "apt") and "install" in words:
        return "apt", "/var/lib/apt/lists", [r"rm .*(/var/lib/apt/lists)"]
    if tool == "apk" and "add" in words:
        return "apk", "/var/cache/apk", [r"rm .*/var/cache/apk"]
    if tool in ("pip", "pip3") and "install" in words or tool.startswith("python") and words[:2] == ["-m", "pip"] \
            and "install" in words:
        return "pip", "/root/.cache/pip", [r"rm .*\.cache/pip", r"pip3? cache (purge|remove)"]
    if tool == "npm" and any(w in ("install", "i", "ci") for w in words):
        return "npm", "/root/.npm", [r"npm cache clean", r"rm .*\.npm"]
    if tool == "yarn" and (not words or words[0] in ("install", "add")):
        return "yarn", "/usr/local/share/.cache/yarn", [r"yarn cache clean", r"rm .*yarn"]
    if tool in ("dnf", "yum", "microdnf") and "install" in words:
        return "dnf", "/var/cache/" + tool, [rf"{tool} clean all", r"rm .*/var/cache/(dnf|yum)"]
    return None


# --- helpers ---------------------------------------------------------------------------------------

def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _pairs(words: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(words[i], _unquote(words[i + 1])) for i in range(0, len(words) - 1, 2)]


def _clean(source: str) -> str:
    return posixpath.normpath(source).lstrip("/") if source not in (".", "./") else "."


def _resolve(path: str, workdir: str) -> str:
    return posixpath.normpath(posixpath.join(workdir or "/", path))


def _home(path: str) -> str:
    return "/root" + path[1:] if path == "~" or path.startswith("~/") else path.replace("$HOME", "/root")


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _in_image(rel: str, source: str, dest_abs: str, target: str, is_tree: bool) -> str:
    if not is_tree:
        return target
    base = _clean(source)
    inner = rel if base == "." else posixpath.relpath(rel, base)
    return posixpath.normpath(posixpath.join(dest_abs, inner))


def _removes(target: str, item: Added) -> str | None:
    """The path of `item` that removing `target` takes away, or None."""
    if any(c in target for c in "*?["):
        if fnmatch.fnmatchcase(item.path, target):
            return item.path
        return None
    if _under(item.path, target):
        return item.path
    if item.tree and _under(target, item.path):
        return target
    return None


def _rm_targets(cmd: list[str]) -> list[str]:
    if not cmd or posixpath.basename(cmd[0]) not in ("rm", "shred", "unlink"):
        return []
    return [w for w in cmd[1:] if not w.startswith("-")]


def _created(cmds: list[list[str]], workdir: str) -> list[str]:
    """Files a RUN downloads or packs: curl -o/-O, wget, tar -c -f, zip."""
    out: list[str] = []
    for cmd in cmds:
        if not cmd:
            continue
        tool = posixpath.basename(cmd[0])
        words = cmd[1:]
        target: str | None = None
        if tool == "curl":
            target = _option(words, ("-o", "--output"))
            if target is None and any(w in ("-O", "--remote-name") or (w.startswith("-") and not w.startswith("--")
                                                                        and "O" in w) for w in words):
                urls = [w for w in words if URL.match(w)]
                target = posixpath.basename(urls[-1].split("?")[0]) if urls else None
        elif tool == "wget":
            target = _option(words, ("-O", "--output-document"))
            if target is None:
                urls = [w for w in words if URL.match(w)]
                if urls:
                    directory = _option(words, ("-P", "--directory-prefix")) or "."
                    target = posixpath.join(directory, posixpath.basename(urls[-1].split("?")[0]) or "index.html")
        elif tool == "tar" and words and ("c" in words[0].lstrip("-") or "--create" in words):
            target = _option(words, ("-f", "--file")) or (words[1] if len(words) > 1 and "f" in words[0] else None)
        elif tool == "zip" and words:
            target = next((w for w in words if not w.startswith("-")), None)
        if target and target != "-" and not target.startswith("/dev/"):
            out.append(_resolve(_home(target), workdir))
    return out


def _option(words: list[str], names: tuple[str, ...]) -> str | None:
    for i, word in enumerate(words):
        for name in names:
            if word == name and i + 1 < len(words):
                return words[i + 1]
            if name.startswith("--") and word.startswith(name + "="):
                return word.split("=", 1)[1]
            if not name.startswith("--") and word.startswith("-") and not word.startswith("--") \
                    and word.endswith(name[1]) and len(word) > 2 and i + 1 < len(words):
                return words[i + 1]  # combined short flags, e.g. -qO FILE, -sSLo FILE
    return None
