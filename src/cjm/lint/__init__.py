"""The journey-map linter: rules in ``cjm.lint.rules``, registered in ``cjm.lint.registry``."""
