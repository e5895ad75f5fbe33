"""Typer commands, one module each: parse options, call one function, return an exit code.

Modules here import only typer and the standard library at import time, so that
``cjm validate`` does not pay for graphviz, jinja2 or the lint rules.
"""
