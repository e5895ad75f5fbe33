"""The map format: what a map is (the models), how its text becomes one (the loader, imports,
checks) and how its problems are told (diagnostics at file:line:col)."""
