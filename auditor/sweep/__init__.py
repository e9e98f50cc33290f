"""`audit sweep`: every image of a registry, each distinct layer scanned once, results kept in a store.

Modules, one job each, in the order a sweep runs them: `catalog` (which references: the registry's
catalog and tags, or a file of references), `resolve` (each reference's manifest and config, no layer
read), `executor` (one task per distinct layer, on this machine's processes or a Dask cluster),
`store` (the SQLite store: layers, images, findings, with when and under which rules), `assemble` (an
image's report from its layers' results, through the same walk as `audit`), `runner` (the steps in
order, with `progress`), and `summary` (the findings by root cause, rendered for `sweep report`).
See docs/sweep.md.
"""
