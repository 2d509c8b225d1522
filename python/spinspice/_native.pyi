"""Type stubs of the compiled extension `spinspice._native` (python/src/lib.rs)."""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

__version__: str

def run(
    netlist: str,
    is_path: bool,
    params: Sequence[Tuple[str, Union[float, str]]],
    steps: Sequence[str],
    jobs: int,
    save: str,
    output: Optional[str],
    progress: Optional[Callable[[float], Any]],
) -> Dict[str, Any]:
    """Parse and run; returns {"result", "failures", "warnings", "fatal"}."""

def read(path: str) -> Dict[str, Any]:
    """Replay a spinspice HDF5 file; returns the "result" part of `run`."""
