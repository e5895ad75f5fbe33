"""What every part of the map format shares: the base model and the empty defaults."""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    # defer_build: a part (Persona, Touchpoint, ...) gets its own validator only when used on its
    # own; maps are validated by JourneyMap's, which is built at import and holds them all.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=False, defer_build=True)


# Factories for empty defaults. Plain functions rather than ``list``/``dict``: pydantic reads a
# factory's signature, and for a builtin that means parsing its text signature, which costs
# start-up time in every run.
def empty_list() -> list:
    return []


def empty_dict() -> dict:
    return {}
