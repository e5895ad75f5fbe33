"""What every command does before its work: keep start-up to what cjm needs."""

from __future__ import annotations

import os
import sys
import types

PLUGIN_LOADER = "pydantic.plugin._loader"


def turn_off_pydantic_plugins() -> None:
    """Pydantic looks for plugins in every installed package's metadata the first time a model
    is built. cjm's models have no use for them, so discovery is off (set
    ``PYDANTIC_DISABLE_PLUGINS`` yourself to choose otherwise). Even when off, pydantic's loader
    module imports ``importlib.metadata``, and the ``email`` package with it, only to return no
    plugins: about 15 ms of every run here. A stand-in that returns no plugins saves that; if
    pydantic moves its loader, the stand-in is simply never used.
    """
    if os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__") not in ("__all__", "1", "true"):
        return
    if PLUGIN_LOADER not in sys.modules:
        loader = types.ModuleType(PLUGIN_LOADER, "no pydantic plugins: cjm turns discovery off")
        loader.get_plugins = lambda: ()  # type: ignore[attr-defined]
        sys.modules[PLUGIN_LOADER] = loader
