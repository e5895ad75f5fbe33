"""Evidence: what customers actually did, from event logs, set against the map.

``observed`` (the observed-journey file) is light and always importable; the computation
(``compute``, ``sql``, ``engines``) needs the ``evidence`` extra (DuckDB and Ibis) and is
imported only by the commands that run it.
"""
