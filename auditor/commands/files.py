"""`audit files REF`: every entry each layer adds, with its fate and package ownership (every file is hashed
to check it against the package databases: this command is an inventory); nothing is judged."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from auditor import progress
from auditor.audit import Settings, audit
from auditor.commands import args as common_args
from auditor.commands import common, image_options
from auditor.formats.common import printable
from auditor.sources import open_image


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audit files",
                                     description="List every entry each layer adds, with its fate and package "
                                     "ownership.")
    common_args.add_image_args(parser)
    parser.add_argument("--format", "-f", choices=["text", "json"], default=common_args.env("FORMAT", "text"),
                        help="text (one line per entry) or json (default: %(default)s)")
    return parser


def run(args: argparse.Namespace) -> int:
    common.check_output(args.output)
    options = image_options.options(args)
    settings = Settings(limits=options.limits, deadline=options.deadline, hash_files=True)
    with progress.for_stream(sys.stderr, args.quiet) as shown, \
            open_image(args.ref, replace(options, progress=shown)) as image:
        report, entries = audit(image, [], settings, progress=shown)
    from auditor.formats import json_format, text

    render = json_format.render_files if args.format == "json" else text.render_files
    common.write(render(entries), args.output)
    for n in report.not_scanned:  # the inventory itself has no room for them; never drop them silently
        where = (f"layer {n.layer}" if n.layer is not None else "image") + (f" {n.path}" if n.path else "")
        print(f"audit: not scanned: {printable(f'{where}: {n.reason}')}", file=sys.stderr)
    return 2 if common.incomplete(report, args.strict) else 0
