"""Rule modules, one per group. Add a module here and it is part of the catalog."""

ALL_RULE_MODULES = (
)
