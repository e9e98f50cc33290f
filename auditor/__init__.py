"""layer-auditor: audit Docker/OCI images layer by layer, hidden files included."""

__version__ = "0.1.0"
