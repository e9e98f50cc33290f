"""Dockerfile checks: what an instruction leaves in a layer that a later instruction only hides.

Findings come only from the stages whose layers ship (the target and the stages it is built FROM);
other stages matter only through what `COPY --from` takes out of them.

Each stage keeps a list of what its instructions added (`Added`): single files (a named COPY source, a
download, a file the rules flag) and trees (a directory copied from the build context, with its members
when the context is known). A later RUN that removes or moves one, or a later COPY/ADD that writes a
flagged file's path again, hides it: the bytes still ship in the earlier layer.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from auditor.checks import Item, entry_check, item_check
from auditor.checks.lazysecrets import hook_scanner
from auditor.dockerfile import context as build_context
from auditor.dockerfile.parse import Dockerfile, Instruction, Stage, expand, parse, shipping_stages, unquote
from auditor.dockerfile.shell import commands
from auditor.fingerprint import fingerprint
from auditor.model import Entry, Finding, Image, Kind, Report, Rule, RuleId, Severity, Status

# Downloads worth reporting when a RUN leaves them: archives, packages and installers. A download into a
# bin directory (`curl -o /usr/local/bin/kubectl`) is the installed program, not a leftover.
ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2|tar\.zst|zip|whl|deb|rpm|apk|gz|xz|bz2|7z|rar|"
                     r"run|bin|sh|msi|exe|AppImage)$")
TEMP_DIRS = ("/tmp", "/var/tmp")
# Archives that ADD unpacks when they come from the build context (never when they come from a URL).
LOCAL_ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2|tar\.zst)$")
URL = re.compile(r"^(https?|ftp)://", re.IGNORECASE)
GIT_URL = re.compile(r"^(git@|git://|https?://\S+\.git(#.*)?$)")
# Directories that exist in practically every base image: `COPY x /tmp` copies into them.
KNOWN_DIRS = frozenset({"/", "/tmp", "/var/tmp", "/root", "/etc", "/opt", "/srv", "/usr", "/usr/local", "/usr/bin",
                        "/usr/local/bin", "/usr/sbin", "/usr/local/sbin", "/bin", "/sbin", "/home", "/var",
                        "/usr/share", "/usr/lib", "/usr/local/lib", "/lib"})
MAX_CONTENT = 1024 * 1024


def _finding(rule: RuleId, severity: Severity, file: str, line: int, message: str, remediation: str,
             related_line: int | None = None, path: str | None = None, secret: str | None = None,
             status: Status | None = None) -> Finding:
    """A Dockerfile finding: where (file, line), what rule, and the other instruction involved. One about a
    file has the in-image `path` (visible, unless `status` says a later instruction hides it); one about
    an ARG, ENV or LABEL value has none (metadata).

    Its fingerprint is the image findings' (`fingerprint`) with the in-image path, or, without one, the
    message, as where it is: the same values as ever, so baselines and allowlists keep working."""
    where = f"{path or ''}\0{message if not path else ''}"
    return Finding(rule=rule, kind="file" if path else "secret", severity=severity,
                   status=status or (Status.VISIBLE if path else Status.METADATA), message=message,
                   fingerprint=fingerprint(rule, where, secret), path=path, line=line, secret=secret,
                   remediation=remediation, file=file, related_line=related_line)


@dataclass
class Added:
    """Something an instruction put into a stage's filesystem."""

    path: str
    line: int
    how: str  # "COPY", "ADD", "RUN"
    tree: bool = False  # a directory whose members are not tracked one by one: everything under `path`
    flagged: list[Rule] = field(default_factory=list)
    removed_by: int | None = None
    download: bool = False
    members: frozenset[str] | None = None  # a tree's in-image paths, when known (a build-context directory)


@dataclass
class _StageState:
    added: list[Added] = field(default_factory=list)
    args: dict[str, tuple[int, str | None]] = field(default_factory=dict)  # name -> (line, default)
    dirs: set[str] = field(default_factory=set)  # directories known to exist (WORKDIR)


class DockerfileAuditor:
    """Runs every Dockerfile check with the same rules as image scanning plus the `dockerfile` rules."""

    def __init__(self, rules: list[Rule], context_dir: str | None = None, target: str | None = None,
                 cache: str | None = None) -> None:
        """`cache`: the user's private cache root, where the `secret` check keeps what lets it leave
        detect-secrets unloaded for texts no plugin can match (`checks.lazysecrets`)."""
        self.rules = rules
        self.own = {str(r.params.get("check")): r for r in rules if r.kind == "dockerfile"}
        self.paths = entry_check(rules, "path")
        self.metadata = item_check(rules)
        self.scanner = hook_scanner(rules, cache)
        self.context_dir = context_dir
        self.target = target
        self.secret_arg_names = [
            re.compile(str(r.params["name"]), re.IGNORECASE)
            for r in rules
            if r.kind == "metadata" and "history" in r.params.get("where", ()) and r.params.get("name")
        ]

    def report(self, paths: list[str]) -> Report:
        """The report of checking every Dockerfile of `paths`: their findings in order, file by file."""
        findings: list[Finding] = []
        with self.scanner.secrets.session():
            for path in paths:
                findings.extend(self.audit(path))
        return Report(image=Image(reference="", digest=None, config={}, layers=[]), findings=findings,
                      not_scanned=[], rules={rule.id: rule for rule in self.rules}, files=list(paths))

    def audit(self, path: str) -> list[Finding]:
        """The findings of the Dockerfile at `path`, by line."""
        dockerfile = parse(path)
        context_dir = self.context_dir if self.context_dir is not None else os.path.dirname(os.path.abspath(path))
        ctx = build_context.Context(context_dir, os.path.basename(path)) if os.path.isdir(context_dir) else None
        shipping = {s.index for s in shipping_stages(dockerfile, self.target)}
        states: dict[int, _StageState] = {}
        findings: list[Finding] = []
        with self.scanner.secrets.session():
            for stage in dockerfile.stages:
                state = _StageState()
                parent = dockerfile.stage(stage.base)
                if parent is not None and parent.index in states and parent.index < stage.index:
                    # A stage built FROM another starts with its files. Build arguments do not carry over.
                    inherited = states[parent.index]
                    state.added = [replace(a, flagged=list(a.flagged)) for a in inherited.added]
                    state.dirs = set(inherited.dirs)
                states[stage.index] = state
                found = list(self._stage(dockerfile, stage, state, states, ctx))
                if stage.index in shipping:
                    findings.extend(found)
        unique = {(f.rule, f.line, f.path, f.message): f for f in findings}
        return sorted(unique.values(), key=lambda f: (f.line or 0, -f.severity.rank, f.rule))

    # --- one stage ---------------------------------------------------------------------------------

    def _stage(self, dockerfile: Dockerfile, stage: Stage, state: _StageState, states: dict[int, _StageState],
               ctx: build_context.Context | None) -> Iterator[Finding]:
        file = dockerfile.path
        for ins in stage.instructions:
            if ins.cmd in ("COPY", "ADD"):
                yield from self._copy(file, dockerfile, ins, state, states, ctx)
            elif ins.cmd == "RUN":
                yield from self._run(file, ins, state)
            elif ins.cmd == "WORKDIR":
                state.dirs.add(ins.workdir)
            elif ins.cmd == "ARG":
                for word in ins.value:
                    name, sep, default = word.partition("=")
                    state.args[name] = (ins.line, unquote(default) if sep else None)
                    if sep and default:
                        yield from self._metadata(file, ins.line, Item("history", "ARG", name,
                                                                       ins.expand(unquote(default))))
            elif ins.cmd == "ENV":
                for name, value in _pairs(ins.value):
                    yield from self._metadata(file, ins.line, Item("env", "ENV", name, ins.expand(value)))
            elif ins.cmd == "LABEL":
                for name, value in _pairs(ins.value):
                    yield from self._metadata(file, ins.line, Item("labels", "LABEL", unquote(name),
                                                                   ins.expand(value)))

    def _metadata(self, file: str, line: int, item: Item) -> Iterator[Finding]:
        for rule in self.metadata.match(item):
            yield _finding(rule.id, rule.severity, file, line,
                                    f"{item.location} {item.key}: {rule.message or rule.description}",
                                    rule.remediation, secret=item.value)
        for hit in self.scanner.scan_text(item.text, "Dockerfile"):
            if hit.rejected:  # the value judge's look-alike: no finding
                continue
            rule = next(r for r in self.rules if r.id == hit.rule)
            yield _finding(rule.id, rule.severity, file, line, f"{item.location} {item.key}: {hit.message}",
                                    rule.remediation, secret=hit.secret)

    # --- COPY / ADD --------------------------------------------------------------------------------

    def _copy(self, file: str, dockerfile: Dockerfile, ins: Instruction, state: _StageState,
              states: dict[int, _StageState], ctx: build_context.Context | None) -> Iterator[Finding]:
        if len(ins.value) < 2:
            return
        *sources, dest = [ins.expand(w) for w in ins.value]
        dest_abs = _resolve(dest, ins.workdir)
        into_dir = (dest.endswith(("/", "/.", "/..")) or dest in (".", "..") or len(sources) > 1
                    or _is_known_dir(dest_abs, state, ins))
        from_ref = ins.flag("from")
        heredocs = iter(ins.heredocs)
        for source in sources:
            if source.startswith("<<"):
                yield from self._copy_heredoc(file, ins, source, next(heredocs, ""), dest_abs, into_dir, state)
            elif from_ref is not None:
                yield from self._copy_from(file, dockerfile, ins, ins.expand(from_ref), source, dest_abs, into_dir,
                                           state, states)
            elif ins.cmd == "ADD" and GIT_URL.match(source):
                state.added.append(Added(dest_abs, ins.line, "ADD", tree=True))
            elif ins.cmd == "ADD" and URL.match(source):
                yield from self._add_url(file, ins, source, dest_abs, into_dir, state)
            elif ins.cmd == "ADD" and LOCAL_ARCHIVE.search(source):
                # A local tar is unpacked into the destination: its members are not known here.
                state.added.append(Added(dest_abs, ins.line, "ADD", tree=True))
            else:
                yield from self._copy_context(file, ins, source, dest_abs, into_dir, state, ctx)

    def _copy_context(self, file: str, ins: Instruction, source: str, dest_abs: str, into_dir: bool,
                      state: _StageState, ctx: build_context.Context | None) -> Iterator[Finding]:
        files = ctx.expand(source) if ctx is not None else []
        if not files:  # no context, or the source is not in it: judge the destination path by name
            target = posixpath.join(dest_abs, posixpath.basename(source.rstrip("/"))) if into_dir else dest_abs
            flagged = [] if _is_glob(target) else self._flag(target, Kind.FILE)
            yield from self._overwrites(file, ins, target, state)
            for rule in flagged:
                yield _finding(rule.id, rule.severity, file, ins.line,
                                        f"{ins.cmd} puts {target} into a layer", rule.remediation, path=target)
            state.added.append(Added(target, ins.line, ins.cmd, flagged=flagged))
            return
        glob = _is_glob(source)
        is_dir = {item.rel: item.is_dir for item in files}
        roots = {_root(item.rel, source) for item in files}
        many = into_dir or (glob and len(roots) > 1)
        trees: dict[str, set[str]] = {}
        for item in files:
            root = _root(item.rel, source)
            root_is_dir = root == "." or is_dir.get(root, item.rel != root)
            if root_is_dir:
                inner = item.rel if root == "." else posixpath.relpath(item.rel, root)
                in_image = posixpath.normpath(posixpath.join(dest_abs, inner))
                trees.setdefault(dest_abs, set()).add(in_image)
            else:
                in_image = posixpath.join(dest_abs, posixpath.basename(root)) if many else dest_abs
            rules = self._flag(in_image, Kind.DIR if item.is_dir else Kind.FILE)
            if not item.is_dir and ctx is not None:
                rules += self._content_rules(ctx.path(item.rel), in_image)
            if not item.is_dir:
                yield from self._overwrites(file, ins, in_image, state)
            if root_is_dir and not rules:
                continue
            state.added.append(Added(in_image, ins.line, ins.cmd, flagged=rules))
            by_context = root_is_dir or glob
            what = "directory" if item.is_dir else "file"
            why = "the build context's .dockerignore does not exclude it" if by_context \
                else "it is named in the instruction"
            fix = f"Add `{item.rel}` to .dockerignore. " if by_context else ""
            for rule in rules:
                yield _finding(
                    rule.id, rule.severity, file, ins.line,
                    f"{ins.cmd} {source} puts the {what} {item.rel} into the image at {in_image}; {why}",
                    fix + rule.remediation, path=in_image,
                )
        for path, members in trees.items():
            state.added.append(Added(path, ins.line, ins.cmd, tree=True, members=frozenset(members)))

    def _copy_heredoc(self, file: str, ins: Instruction, source: str, content: str, dest_abs: str, into_dir: bool,
                      state: _StageState) -> Iterator[Finding]:
        name = source.lstrip("<").lstrip("-").strip("'\"")
        target = posixpath.join(dest_abs, name) if into_dir else dest_abs
        rules = self._flag(target, Kind.FILE)
        ids = {hit.rule for hit in self.scanner.scan_file(target, content.encode()) if not hit.rejected}
        rules += [r for r in self.rules if r.id in ids and r.severity.rank >= Severity.MEDIUM.rank]
        yield from self._overwrites(file, ins, target, state)
        for rule in rules:
            yield _finding(rule.id, rule.severity, file, ins.line,
                                    f"{ins.cmd} writes {target} from a heredoc of the Dockerfile", rule.remediation,
                                    path=target)
        state.added.append(Added(target, ins.line, ins.cmd, flagged=rules))

    def _add_url(self, file: str, ins: Instruction, source: str, dest_abs: str, into_dir: bool,
                 state: _StageState) -> Iterator[Finding]:
        name = posixpath.basename(source.split("?")[0].split("#")[0].rstrip("/")) or "download"
        target = posixpath.join(dest_abs, name) if into_dir else dest_abs
        yield from self._overwrites(file, ins, target, state)
        flagged = self._flag(target, Kind.FILE)
        state.added.append(Added(target, ins.line, "ADD", download=True, flagged=flagged))
        rule = self.own.get("download-left")
        if rule is not None and _is_leftover(target):
            yield _finding(
                rule.id, rule.severity, file, ins.line,
                f"ADD {source} downloads {target} into its own layer (ADD does not unpack a remote archive); "
                "a later RUN cannot remove it from that layer",
                rule.remediation, path=target,
            )

    def _copy_from(self, file: str, dockerfile: Dockerfile, ins: Instruction, from_ref: str, source: str,
                   dest_abs: str, into_dir: bool, state: _StageState, states: dict[int, _StageState]
                   ) -> Iterator[Finding]:
        stage = dockerfile.stage(from_ref)
        src_abs = _resolve(source, "/")
        src_state = states.get(stage.index) if stage is not None else None
        known = [a for a in src_state.added if a.removed_by is None] if src_state is not None else []
        is_dir = (source.endswith(("/", "/.")) or src_abs == "/"
                  or any(a.path != src_abs and _under(a.path, src_abs) for a in known)
                  or any(a.tree and a.path == src_abs for a in known))
        root = dest_abs if is_dir else (posixpath.join(dest_abs, posixpath.basename(src_abs)) if into_dir
                                        else dest_abs)
        for item in known:
            if not item.flagged or not _under(item.path, src_abs):
                continue
            in_image = posixpath.normpath(posixpath.join(root, posixpath.relpath(item.path, src_abs)))
            yield from self._overwrites(file, ins, in_image, state)
            state.added.append(Added(in_image, ins.line, "COPY", flagged=list(item.flagged)))
            for rule in item.flagged:
                yield _finding(
                    rule.id, rule.severity, file, ins.line,
                    f"COPY --from={from_ref} {source} copies {item.path} (added at line {item.line}) "
                    f"into the final image at {in_image}",
                    f"Copy only the build output from the stage, not {item.path}. {rule.remediation}",
                    related_line=item.line, path=in_image,
                )
        state.added.append(Added(root, ins.line, "COPY", tree=is_dir))

    def _overwrites(self, file: str, ins: Instruction, path: str, state: _StageState
                    ) -> Iterator[Finding]:
        """A COPY/ADD that writes `path` again hides a flagged file an earlier instruction put there."""
        for item in state.added:
            if item.removed_by is None and not item.tree and item.flagged and item.path == path \
                    and item.line < ins.line:
                item.removed_by = ins.line
                yield self._hidden(file, item, path, ins, "overwritten by")

    def _flag(self, path: str, kind: Kind) -> list[Rule]:
        entry = Entry(path=path, layer=0, kind=kind, size=0, mode=0o644, link=None)
        return list(self.paths.match(entry))

    def _content_rules(self, disk_path: str, in_image: str) -> list[Rule]:
        try:
            if os.path.islink(disk_path) or os.path.getsize(disk_path) > MAX_CONTENT:
                return []
            with open(disk_path, "rb") as handle:
                data = handle.read(MAX_CONTENT)
        except OSError:
            return []
        ids = {hit.rule for hit in self.scanner.scan_file(in_image, data) if not hit.rejected}
        return [r for r in self.rules if r.id in ids and r.severity.rank >= Severity.MEDIUM.rank]

    # --- RUN ---------------------------------------------------------------------------------------

    def _run(self, file: str, ins: Instruction, state: _StageState) -> Iterator[Finding]:
        cmds = commands(ins)
        variables = dict(ins.variables)
        home = variables.get("HOME", "/root")
        cwd = ins.workdir
        gone: list[tuple[str, str, str | None]] = []  # (path or glob, verb, where a `mv` puts it)
        created: list[str] = []
        for cmd in cmds:
            words = [_shell_word(w, variables, home) for w in cmd]
            tool = posixpath.basename(words[0])
            if tool == "cd":
                args = [w for w in words[1:] if not w.startswith("-")]
                cwd = _resolve(args[0], cwd) if args else home
            elif tool in ("rm", "shred", "unlink"):
                gone += [(_resolve(t, cwd), "removed by", None) for t in _operands(words[1:])]
            elif tool == "mv":
                operands = _operands(words[1:])
                if len(operands) >= 2:
                    *moved, dest = (_resolve(t, cwd) for t in operands)
                    dest_dir = len(moved) > 1 or operands[-1].endswith("/") or dest in KNOWN_DIRS \
                        or dest in state.dirs
                    gone += [(m, "moved away by", posixpath.join(dest, posixpath.basename(m)) if dest_dir else dest)
                             for m in moved]
            else:
                created += _created(words, cwd)
        yield from self._removals(file, ins, state, gone)
        for path in created:
            if any(_removes(target, Added(path, ins.line, "RUN")) for target, verb, _ in gone if verb == "removed by"):
                continue
            state.added.append(Added(path, ins.line, "RUN", download=True, flagged=self._flag(path, Kind.FILE)))
            rule = self.own.get("download-left")
            if rule is not None and _is_leftover(path):
                yield _finding(rule.id, rule.severity, file, ins.line,
                                        f"RUN leaves {path} in its layer: it is not removed in the same RUN",
                                        rule.remediation, path=path)
        if "package-cache" in self.own:
            yield from self._caches(file, ins, cmds, variables)
        rule = self.own.get("arg-in-history")
        if rule is not None:
            # Every build argument in scope is recorded in this RUN's history entry, used or not.
            for name, (line, _default) in list(state.args.items()):
                if any(p.search(name) for p in self.secret_arg_names):
                    yield _finding(
                        rule.id, rule.severity, file, line,
                        f"ARG {name} is recorded in the image history by the RUN at line {ins.line} "
                        f"(`docker history --no-trunc` shows its value)",
                        rule.remediation, related_line=ins.line, path=None,
                    )
                    del state.args[name]

    def _removals(self, file: str, ins: Instruction, state: _StageState, gone: list[tuple[str, str, str | None]]
                  ) -> Iterator[Finding]:
        """What earlier instructions added and this RUN removes or moves: single files first, then trees
        (a tree's finding is left out when a more specific one of this RUN lies under it)."""
        reported: list[str] = []
        moved_to: list[Added] = []
        earlier = [a for a in state.added if a.removed_by is None and a.line < ins.line]
        for item in [a for a in earlier if not a.tree]:
            for target, verb, dest in gone:
                hit = _removes(target, item)
                if hit is None:
                    continue
                item.removed_by = ins.line
                reported.append(item.path)
                yield self._hidden(file, item, item.path, ins, verb)
                if dest is not None and item.flagged:
                    new_path = dest if item.path == target else posixpath.join(dest, posixpath.relpath(item.path,
                                                                                                       target))
                    moved_to.append(Added(new_path, ins.line, "RUN", flagged=list(item.flagged)))
                break
        for item in [a for a in earlier if a.tree]:
            for target, verb, _dest in gone:
                hit = _removes(target, item)
                if hit is None:
                    continue
                if hit == item.path:
                    item.removed_by = ins.line
                parts = [hit]
                if _is_glob(hit) and item.members is not None:  # the members the glob matches, by name
                    depth = len([p for p in hit.split("/") if p])
                    parts = sorted({"/" + "/".join([p for p in m.split("/") if p][:depth]) for m in item.members
                                    if _glob_match(m, hit)})
                for part in parts:
                    if not any(_under(p, part) for p in reported):
                        reported.append(part)
                        yield self._hidden(file, item, part, ins, verb)
                if item.removed_by is not None:
                    break
        final_removals = [t for t, verb, _ in gone if verb == "removed by"]
        for new in moved_to:
            if not any(_removes(t, new) for t in final_removals):
                state.added.append(new)

    def _hidden(self, file: str, item: Added, path: str, ins: Instruction, verb: str) -> Finding:
        secret = [r for r in item.flagged if r.severity.rank >= Severity.MEDIUM.rank]
        rule = self.own.get("hidden-secret" if secret else "hidden-file") or self.own.get("hidden-file")
        assert rule is not None
        why = f" (flagged by {', '.join(sorted({r.id for r in secret}))})" if secret else ""
        return _finding(
            rule.id, max([rule.severity, *(r.severity for r in secret)], key=lambda s: s.rank), file, item.line,
            f"{path} is added by {item.how} at line {item.line} and {verb} {ins.cmd} at line {ins.line}{why}: "
            f"it still ships in the layer of line {item.line}",
            rule.remediation, related_line=ins.line, path=path,
            status=Status.OVERWRITTEN if verb == "overwritten by" else Status.DELETED,
        )

    def _caches(self, file: str, ins: Instruction, cmds: list[list[str]], variables: dict[str, str]
                ) -> Iterator[Finding]:
        rule = self.own["package-cache"]
        cache_mounts = [_mount_target(m) for m in ins.flag_values("mount") if _mount_type(m) == "cache"]
        flat = [" ".join(c) for c in cmds]
        script = " ".join(ins.value) + " " + " ".join(ins.heredocs)
        reported: set[str] = set()
        for cmd in cmds:
            manager = _package_manager(cmd)
            if manager is None:
                continue
            name, cache, cleaned_by = manager
            if name in reported:
                continue
            reported.add(name)
            if any(target and _under(cache, target) for target in cache_mounts):
                continue
            if any(re.search(pattern, line) for pattern in cleaned_by for line in flat):
                continue
            if name == "pip" and ("PIP_NO_CACHE_DIR" in variables or "--no-cache-dir" in cmd
                                  or re.search(r"(^|\s)PIP_NO_CACHE_DIR=\S", script)):
                continue
            if name == "apk" and "--no-cache" in cmd:
                continue
            yield _finding(rule.id, rule.severity, file, ins.line,
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

def _pairs(words: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(words[i], unquote(words[i + 1])) for i in range(0, len(words) - 1, 2)]


def _mount_options(spec: str) -> dict[str, str]:
    out = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        out[key.strip().lower()] = value.strip() if sep else "true"
    return out


def _mount_type(spec: str) -> str:
    return _mount_options(spec).get("type", "bind")


def _mount_target(spec: str) -> str | None:
    options = _mount_options(spec)
    target = options.get("target") or options.get("dst") or options.get("destination")
    return posixpath.normpath(target) if target else None


def _is_glob(path: str) -> bool:
    return any(c in path for c in "*?[")


def _clean(source: str) -> str:
    clean = posixpath.normpath(source).lstrip("/")
    return "." if clean in ("", ".") else clean


def _root(rel: str, source: str) -> str:
    """The part of `rel` that the COPY source names: the source itself, or what its glob matched."""
    clean = _clean(source)
    if clean == "." or not _is_glob(clean):
        return clean
    depth = len(clean.split("/"))
    return "/".join(rel.split("/")[:depth])


def _resolve(path: str, workdir: str) -> str:
    return posixpath.normpath(posixpath.join(workdir or "/", path))


def _shell_word(word: str, variables: dict[str, str], home: str) -> str:
    """A word as the shell would see it for paths: `~` is HOME, `$VAR` of a known ARG/ENV is its value."""
    if word == "~" or word.startswith("~/"):
        word = home + word[1:]
    return expand(word, {"HOME": home, **variables})


def _operands(words: list[str]) -> list[str]:
    """Non-option words (everything after `--` counts as an operand)."""
    out = []
    options = True
    for word in words:
        if options and word == "--":
            options = False
        elif not (options and word.startswith("-") and word != "-"):
            out.append(word)
    return out


def _is_known_dir(path: str, state: _StageState, ins: Instruction) -> bool:
    """Whether `path` is a directory before this COPY: a WORKDIR, a well-known one, or the parent or tree
    of something added earlier. (`COPY id_rsa /root/.ssh` copies *into* an existing /root/.ssh.)"""
    if path in KNOWN_DIRS or path == ins.workdir or path in state.dirs:
        return True
    return any((a.tree and a.path == path) or (a.path != path and _under(a.path, path)) for a in state.added
               if a.removed_by is None)


def _is_leftover(path: str) -> bool:
    """A download worth reporting when it is left in a layer."""
    if any(_under(path, d) for d in TEMP_DIRS):
        return True
    return bool(ARCHIVE.search(path)) and posixpath.basename(posixpath.dirname(path)) not in ("bin", "sbin")


def _under(path: str, parent: str) -> bool:
    return path == parent or parent == "/" or path.startswith(parent.rstrip("/") + "/")


def _glob_match(path: str, pattern: str) -> bool:
    """Whether `path` or one of its parents matches a shell glob (segment by segment; a leading `.` must be
    matched literally, as the shell does)."""
    pattern_parts = [p for p in pattern.split("/") if p]
    parts = [p for p in path.split("/") if p]
    if len(parts) < len(pattern_parts):
        return False
    for part, pat in zip(parts, pattern_parts, strict=False):  # a longer path: its parent matches
        if part.startswith(".") and not pat.startswith("."):
            return False
        if not fnmatch.fnmatchcase(part, pat):
            return False
    return True


def _glob_base(pattern: str) -> str:
    """The directory part of a glob before its first wildcard segment."""
    parts = pattern.split("/")
    for i, part in enumerate(parts):
        if _is_glob(part):
            return "/".join(parts[:i]) or "/"
    return pattern


def _removes(target: str, item: Added) -> str | None:
    """The path of `item` that removing `target` (a path or a shell glob) takes away, or None: the item's
    own path when all of it goes, or, for a tree, the part of it that goes."""
    glob = _is_glob(target)
    if (glob and _glob_match(item.path, target)) or (not glob and _under(item.path, target)):
        return item.path
    if not item.tree:
        return None
    if glob:
        if not _under(_glob_base(target), item.path) or item.members is None:
            return None  # a glob inside a tree of unknown members: no way to tell what it matches
        return target if any(_glob_match(m, target) for m in item.members) else None
    if not _under(target, item.path):
        return None
    if item.members is not None and not any(_under(m, target) for m in item.members):
        return None
    return target


def _created(cmd: list[str], workdir: str) -> list[str]:
    """Files one command downloads or packs: curl -o/-O, wget, tar -c -f, zip."""
    if not cmd:
        return []
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
    elif tool == "tar" and words and ("c" in words[0].lstrip("-") and not words[0].startswith("--")
                                      or "--create" in words):
        target = _option(words, ("-f", "--file")) or (words[1] if len(words) > 1 and "f" in words[0]
                                                       and not words[0].startswith("--") else None)
    elif tool == "zip" and words:
        target = next((w for w in words if not w.startswith("-")), None)
    if target and target != "-" and not target.startswith("/dev/"):
        return [_resolve(target, workdir)]
    return []


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
