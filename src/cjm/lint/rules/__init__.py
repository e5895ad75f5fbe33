"""Rule modules, one per group. Add a module here and it is part of the catalog."""

ALL_RULE_MODULES = (
    "cjm.lint.rules.coverage",
    "cjm.lint.rules.emotion",
    "cjm.lint.rules.measure",
    "cjm.lint.rules.flow",
    "cjm.lint.rules.upkeep",
    "cjm.lint.rules.evidence",
    "cjm.lint.rules.blueprint",
)
