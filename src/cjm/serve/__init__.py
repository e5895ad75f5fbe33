"""``cjm serve``: the journey maps live in the browser while they are written.

    site.py      the maps under the served folders, their slugs and what each page shows (from the workspace)
    app.py       the Starlette app: pages, the live channel, Host/Origin checks, security headers
    watcher.py   watches the folders (or polls them) and hands bursts of changes over as one
    worker.py    the one thread the workspace runs in
    assets/      the page's script, stylesheet and templates

No YAML parsing and no rule logic here: everything about a map comes from ``cjm.workspace``.
"""
