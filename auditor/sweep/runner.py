"""A sweep, as named steps: resolve every reference, plan the distinct layers the store (or the layer
cache) lacks, scan each of them once on the executor, and assess each image once its layers are in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from auditor.audit import Settings
from auditor.cache import LayerCache, from_doc, memo_key, rules_key, to_doc
from auditor.checks import judge
from auditor.checks.scanner import Scanner
from auditor.config import Config
from auditor.identity import claimed
from auditor.model import Layer, Rule
from auditor.registry.settings import RegistryOptions
from auditor.sweep import assemble
from auditor.sweep.executor import Executor, LayerResult, LayerTask, content_rules
from auditor.sweep.progress import Progress
from auditor.sweep.resolve import Failed, Outcome, Resolved
from auditor.sweep.store import ImageRow, Store

Key = tuple[str, str]  # (blob digest, diff_id)


@dataclass
class Outcomes:
    """What a sweep did: images assessed and left as they were, the layers it scanned (each once)."""

    resolved: int = 0
    failed: list[str] = field(default_factory=list)
    distinct: int = 0
    from_store: int = 0
    from_cache: int = 0
    scanned: list[Key] = field(default_factory=list)
    assessed: int = 0
    unchanged: int = 0
    incomplete: list[str] = field(default_factory=list)


@dataclass
class Sweep:
    """One sweep into `store`: `run` takes the resolved (or failed) references and returns what it did."""

    store: Store
    rules: list[Rule]
    settings: Settings  # limits; cache_dir: the layer cache, also looked up (None: not used)
    registry: RegistryOptions
    executor: Executor
    config: Config
    progress: Progress

    def __post_init__(self) -> None:
        limits = self.settings.limits
        self.layer_rules = rules_key(self.rules, limits.max_file_bytes)
        self.knobs = (limits.max_file_bytes, limits.max_layer_bytes, limits.max_entries, 0, None, judge.VERSION)
        self.scanner = Scanner(self.rules)
        self.cache = LayerCache(self.settings.cache_dir, self.layer_rules) if self.settings.cache_dir else None
        self.out = Outcomes()

    def run(self, outcomes: Iterable[Outcome]) -> Outcomes:
        self.store.note_rules(self.layer_rules, [rule.id for rule in self.rules])
        images = self._resolve(outcomes)
        tasks, waiting = self._plan(images)
        self._scan(tasks, waiting, images)
        self.progress.show(final=True)
        return self.out

    def _resolve(self, outcomes: Iterable[Outcome]) -> list[Resolved]:
        """Step 1: every manifest and config, no layer; a failure is kept in the store and the run goes on."""
        images = []
        for outcome in outcomes:
            if isinstance(outcome, Failed):
                self.out.failed.append(outcome.reference)
                self.store.put_failure(outcome.reference, outcome.reason)
                self.progress.failed += 1
            else:
                images.append(outcome)
                self.progress.images += 1
            self.progress.show()
        self.out.resolved = len(images)
        return images

    def _plan(self, images: list[Resolved]) -> tuple[dict[Key, LayerTask], dict[Key, list[int]]]:
        """Step 2: one task per distinct layer that neither the store nor the layer cache holds; which
        images wait for each. Images waiting for nothing are assessed now."""
        done = self.store.done_layers(self.layer_rules)
        tasks: dict[Key, LayerTask] = {}
        waiting: dict[Key, list[int]] = {}
        seen: set[Key] = set()
        for number, resolved in enumerate(images):
            for layer in resolved.image.layers:
                key = (str(layer.digest), str(layer.diff_id or ""))
                if key not in seen:
                    seen.add(key)
                    if key in done:
                        self.out.from_store += 1
                    elif self._from_cache(key, layer):
                        done.add(key)
                        self.out.from_cache += 1
                    else:
                        tasks[key] = LayerTask(resolved.ref.registry, resolved.ref.repository, str(layer.digest),
                                               layer.diff_id, layer.size, layer.media_type, self.settings.limits,
                                               self.registry)
                if key in tasks:
                    waiting.setdefault(key, []).append(number)
        self.out.distinct = len(seen)
        self.progress.distinct, self.progress.cached, self.progress.todo = len(seen), len(seen) - len(tasks), len(tasks)
        self.progress.bytes_todo = sum(task.size or 0 for task in tasks.values())
        blocked = {number for numbers in waiting.values() for number in numbers}
        for number, resolved in enumerate(images):
            if number not in blocked:
                self._assess(resolved)
        return tasks, waiting

    def _from_cache(self, key: Key, layer: Layer) -> bool:
        """Copy a layer the layer cache holds (under the same rules) into the store, without downloading it."""
        scan = self.cache.get(layer) if self.cache is not None else None
        if scan is None:
            return False
        self.store.put_layer(key, self.layer_rules, to_doc(scan), True, "layer cache")
        return True

    def _scan(self, tasks: dict[Key, LayerTask], waiting: dict[Key, list[int]], images: list[Resolved]) -> None:
        """Step 3: each task on the executor; each result stored as it comes, and each image assessed once
        the last of its layers is in."""
        left = {number: 0 for numbers in waiting.values() for number in numbers}
        for numbers in waiting.values():
            for number in set(numbers):
                left[number] += 1
        for result in self.executor.run(list(tasks.values()), content_rules(self.rules)):
            self._keep(result)
            self.progress.done += 1
            self.progress.bytes_done += tasks[result.key].size or 0
            self.progress.show()
            for number in sorted(set(waiting.get(result.key, []))):
                left[number] -= 1
                if left[number] == 0:
                    self._assess(images[number])

    def _keep(self, result: LayerResult) -> None:
        self.store.put_layer(result.key, self.layer_rules, result.doc, result.complete, result.worker)
        self.out.scanned.append(result.key)
        if self.cache is not None and result.complete:
            scan = from_doc(result.doc, 0)
            scan.identity = (result.digest, result.diff_id or "")
            self.cache.put(scan)

    def _assess(self, resolved: Resolved) -> None:
        """Step 4: the image's report from its layers' scans in the store, kept with its findings; an image
        assessed before under the same rules, settings, layers and config is left as it is."""
        image = resolved.image
        reference = str(resolved.ref)
        key = memo_key(image, self.rules, self.knobs) or f"{image.digest} {self.layer_rules}"
        known = self.store.image(reference)
        if known is not None and known.assessment == key and known.complete:
            self.out.unchanged += 1
            return
        docs = [self.store.layer_doc((str(layer.digest), str(layer.diff_id or "")), self.layer_rules)
                for layer in image.layers]
        if any(doc is None for doc in docs):  # a layer whose task failed outright: the image stays unassessed
            self.out.incomplete.append(reference)
            return
        report = assemble.image_report(image, [doc for doc in docs if doc is not None], self.rules,
                                       self.settings, self.scanner, self.config)
        complete = not any(item.broken for item in report.not_scanned) and all(map(claimed, image.layers))
        if not complete:
            self.out.incomplete.append(reference)
        row = ImageRow(reference, image.digest, [str(layer.digest) for layer in image.layers], key, complete, None)
        self.store.put_image(row, assemble.rows(report))
        self.out.assessed += 1
