"""The engines that run the evidence computation: DuckDB (embedded, the default) and Spark.

Both are reached through Ibis, so the computation is written once. Spark runs in local mode
here (``local[2]``); set ``CJM_SPARK_MASTER`` to a cluster's master URL to run it there.
"""

from __future__ import annotations

import itertools
import os
import shutil
from contextlib import contextmanager
from typing import Any, Iterator

ENGINES = ("duckdb", "spark")


class EngineUnavailable(Exception):
    """The engine cannot run here; the message names what to install."""


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise EngineUnavailable(f"{module} is not installed ({error}); install it with: pip install 'cjm[{extra}]'") from None


def connect(engine: str = "duckdb", verbose: bool = False) -> Any:
    """An Ibis backend for ``engine``; ``verbose`` lets Spark log its warnings."""
    if engine == "duckdb":
        return _duckdb()
    if engine == "spark":
        return _spark(verbose)
    raise EngineUnavailable(f"unknown engine '{engine}' (choose from {', '.join(ENGINES)})")


def _duckdb() -> Any:
    _need("duckdb", "evidence")
    ibis = _need("ibis", "evidence")
    try:
        backend = ibis.duckdb.connect()
    except (ImportError, AttributeError) as error:
        raise EngineUnavailable(f"Ibis has no DuckDB backend ({error}); install it with: pip install 'cjm[evidence]'") from None
    backend.raw_sql("SET TimeZone = 'UTC'")
    backend.raw_sql("SET preserve_insertion_order = false")  # row order never matters here; saves memory
    return backend


def _java_found() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return True
    return shutil.which("java") is not None


# Spark logs its start-up at WARN and INFO on standard error; the noisy loggers are quietened.
# (The root stays at WARN: PySpark announces any other level on standard error.)
SPARK_LOG_CONFIG = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = error
logger.utils.name = org.apache.spark.util.Utils
logger.utils.level = error
logger.window.name = org.apache.spark.sql.execution.window
logger.window.level = error
"""


def _spark_log_config() -> str:
    import tempfile

    path = os.path.join(tempfile.gettempdir(), f"cjm-spark-log4j2-{os.getuid() if hasattr(os, 'getuid') else 0}.properties")
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == SPARK_LOG_CONFIG:
                return path
    except OSError:
        pass
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(SPARK_LOG_CONFIG)
    return path


def spark_log_path() -> str:
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"cjm-spark-{os.getuid() if hasattr(os, 'getuid') else 0}.log")


@contextmanager
def _jvm_output(path: str | None) -> Iterator[None]:
    """Spark's JVM, started inside, writes its standard error to ``path`` (None: to ours): the JVM
    and its loggers print there for as long as it runs (a warning about incubator modules, errors
    that Spark recovers from), while cjm prints only its own progress and result."""
    if path is None:
        yield
        return
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "w", encoding="utf-8") as log:
            os.dup2(log.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _last_lines(path: str, lines: int = 3) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            said = [line.strip() for line in handle.read()[-4000:].splitlines() if line.strip()]
    except OSError:
        return ""
    return " / ".join(said[-lines:])[:500]


def _spark(verbose: bool = False) -> Any:
    ibis = _need("ibis", "spark")
    _need("pyspark", "spark")
    if not _java_found():
        raise EngineUnavailable("Spark needs Java (17 or later) and none was found: set JAVA_HOME or put `java` on PATH")
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(os.environ.get("CJM_SPARK_MASTER", "local[2]"))
        .appName("cjm-evidence")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", f"-Duser.timezone=UTC -Dlog4j2.configurationFile=file:{_spark_log_config()}")
    )
    log = spark_log_path()
    try:
        with _jvm_output(None if verbose else log):
            session = builder.getOrCreate()
    except Exception as error:  # the JVM did not start: Py4J and Spark raise many kinds
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        said = _last_lines(log) if not verbose else ""
        raise EngineUnavailable(f"Spark did not start: {reason}" + (f" (the JVM said: {said})" if said else "")) from None
    session.sparkContext.setLogLevel("WARN" if verbose else "ERROR")
    try:
        return ibis.pyspark.connect(session)
    except (ImportError, AttributeError) as error:
        raise EngineUnavailable(f"Ibis has no PySpark backend ({error}); install it with: pip install 'cjm[spark]'") from None


def engine_version(backend: Any) -> str:
    return str(backend.version)


_cache_names = itertools.count(1)


@contextmanager
def cached(backend: Any, expr: Any) -> Iterator[Any]:
    """``expr`` computed once into an engine-side table, dropped on leaving the block.

    DuckDB gets a plain temporary table (Ibis's own cache cannot drop it with the installed
    SQL generator); Spark keeps Ibis's cache (a persisted DataFrame).
    """
    if backend.name != "duckdb":
        with expr.cache() as table:
            yield table
        return
    name = f"cjm_cached_{next(_cache_names)}"
    table = backend.create_table(name, expr, temp=True)
    try:
        yield table
    finally:
        backend.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
