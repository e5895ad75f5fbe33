"""``cjm lsp``: the language server, so an editor knows journey maps as well as cjm does.

    server.py       the pygls server: documents in, diagnostics out, every request answered
    analysis.py     the one thread the workspace runs in; debounced, superseded, published snapshots
    settings.py     what the editor configures (when to check, lint or not, the observed file ...)
    positions.py    code points <-> the position encoding agreed at start-up (UTF-16, UTF-8, UTF-32)
    context.py      what the cursor is on: a model path in the last good parse, or a repaired line
    schema.py       fields, descriptions and values from the format's JSON Schema
    hover.py  completion.py  navigation.py  rename.py  actions.py   one feature each

No YAML parsing and no rule logic here: texts go through ``cjm.workspace`` and ``cjm.format``,
findings come from the linter, suppression comments are written the way ``cjm.lint.suppress``
reads them.
"""
