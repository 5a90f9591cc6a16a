"""Build hook: compile ``rtk_widget/wire/*.proto`` into Python modules.

The generated ``*_pb2.py`` and ``*_pb2.pyi`` are build output, so they are not
in git; every install (editable or wheel) generates them here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ProtocBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Run protoc (from grpcio-tools) over the package's .proto files."""

    PLUGIN_NAME = "protoc"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        from grpc_tools import protoc  # build requirement, see pyproject.toml

        root = Path(self.root)
        protos = sorted(str(p.relative_to(root)) for p in (root / "rtk_widget" / "wire").glob("*.proto"))
        status = protoc.main(["protoc", f"-I{root}", f"--python_out={root}", f"--pyi_out={root}", *protos])
        if status != 0:
            raise RuntimeError(f"protoc failed with status {status}")
        build_data["artifacts"].extend(["rtk_widget/wire/*_pb2.py", "rtk_widget/wire/*_pb2.pyi"])
