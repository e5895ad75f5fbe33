"""``cjm lsp`` through a real stdio client (pytest-lsp's, speaking as VS Code): the time from a
change notification to the diagnostics published for that version, on the 30-touchpoint example
and on a 3,000-touchpoint map; completion on the example; the server's memory over 1,000 edits.

    python benchmarks/lsp_session.py              # everything
    python benchmarks/lsp_session.py --edits 200  # fewer edits for the memory figure

The debounce is set to 0 ms, so the figures are what comes after it (an editor adds its
``cjm.debounceMs``, 200 ms by default). Aims: example < 50 ms (median), 3,000 touchpoints
< 1,500 ms, completion < 50 ms, memory flat after the first edits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import EXAMPLE  # noqa: E402
from generate import make_map  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Session:
    def __init__(self) -> None:
        self.published: dict[tuple[str, int | None], float] = {}
        self.arrived = asyncio.Event()

    async def start(self, root: Path):
        from lsprotocol import types
        from pygls.protocol import default_converter
        from pytest_lsp import LanguageClient, client_capabilities
        from pytest_lsp.client import DEFAULT_CLIENT_FEATURES

        client = LanguageClient(converter_factory=default_converter)
        for method, handler in DEFAULT_CLIENT_FEATURES.items():
            if method != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
                client.feature(method)(handler)

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _published(params: types.PublishDiagnosticsParams) -> None:
            self.published[(params.uri, params.version)] = time.perf_counter()
            self.arrived.set()

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def _register(params: types.RegistrationParams) -> None:
            return None

        client.set_configuration({"debounceMs": 0}, section="cjm")
        await client.start_io(sys.executable, "-m", "cjm", "lsp")
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri(),
            initialization_options={"cjm": {"debounceMs": 0}}))
        self.client = client
        self.types = types
        self.versions: dict[str, int] = {}
        self.cpu: list[float] = []
        return self

    @property
    def pid(self) -> int:
        return self.client._server.pid

    async def wait(self, uri: str, version: int, timeout: float = 120) -> float:
        deadline = time.perf_counter() + timeout
        while (uri, version) not in self.published:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), max(0.01, deadline - time.perf_counter()))
        return self.published[(uri, version)]

    async def open(self, path: Path, text: str) -> str:
        types = self.types
        uri = path.as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="yaml", version=1, text=text)))
        await self.wait(uri, 1)
        return uri

    async def change(self, uri: str, text: str) -> float:
        """Seconds from the change notification to the diagnostics of that version; the server's
        CPU seconds for it are added to ``self.cpu``."""
        types = self.types
        cpu = cpu_seconds(self.pid)
        self.versions[uri] += 1
        version = self.versions[uri]
        sent = time.perf_counter()
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        took = await self.wait(uri, version) - sent
        self.cpu.append(cpu_seconds(self.pid) - cpu)
        return took

    async def complete(self, uri: str, line: int, character: int) -> tuple[float, int]:
        types = self.types
        start = time.perf_counter()
        result = await self.client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)))
        return time.perf_counter() - start, len(result.items if result else [])

    async def stop(self) -> None:
        await self.client.shutdown_session()
        await self.client.stop()


class RawSession:
    """A plain JSON-RPC client over stdio: frames and ``json.loads``, as an editor reads messages,
    without building lsprotocol objects for every diagnostic (pytest-lsp's client does, and for
    thousands of findings that costs the client more than the server's check)."""

    async def start(self, root: Path) -> "RawSession":
        import json

        self.json = json
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cjm", "lsp", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        self.next_id = 0
        self.versions: dict[str, int] = {}
        self.cpu: list[float] = []
        await self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
                                          "initializationOptions": {"cjm": {"debounceMs": 0}}})
        self.notify("initialized", {})
        return self

    def send(self, message: dict) -> None:
        body = self.json.dumps(message).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify(self, method: str, params: dict) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    async def read(self) -> dict:
        length = 0
        while True:
            line = await self.process.stdout.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return self.json.loads(await self.process.stdout.readexactly(length))

    async def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            message = await self.read()
            if message.get("id") == self.next_id and "method" not in message:
                return message
            if "method" in message and "id" in message:  # a request from the server: answer it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    async def until_published(self, uri: str, version: int) -> float:
        while True:
            message = await self.read()
            if message.get("method") == "textDocument/publishDiagnostics" and \
                    message["params"]["uri"] == uri and message["params"].get("version") == version:
                return time.perf_counter()
            if "method" in message and "id" in message:
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})

    async def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.versions[uri] = 1
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
        await self.until_published(uri, 1)
        return uri

    async def change(self, uri: str, text: str) -> float:
        self.versions[uri] += 1
        version = self.versions[uri]
        cpu = cpu_seconds(self.process.pid)
        sent = time.perf_counter()
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": text}]})
        took = await self.until_published(uri, version) - sent
        self.cpu.append(cpu_seconds(self.process.pid) - cpu)
        return took

    async def stop(self) -> None:
        await self.request("shutdown", {})
        self.notify("exit", {})
        await self.process.wait()


def edited(text: str, n: int) -> str:
    """The text with its title changed (a new content hash each time, the same findings)."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[at] = f"title: Edit {n} of the map"
    return "\n".join(lines)


def row(name: str, seconds: list[float], aim_ms: float, cpu: list[float] | None = None) -> str:
    ms = sorted(s * 1000 for s in seconds)
    median = statistics.median(ms)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    verdict = "met" if median < aim_ms else "missed"
    cpu_ms = f"{statistics.median(cpu) * 1000:,.0f}" if cpu else ""
    return f"| {name} | {len(ms)} | {median:,.1f} | {p90:,.1f} | {ms[-1]:,.1f} | {cpu_ms} | < {aim_ms:,.0f} ms: {verdict} |"


async def main(edits: int, big_edits: int, scratch: Path) -> None:
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "cjm.toml").touch()
    example = scratch / EXAMPLE.name
    example_text = EXAMPLE.read_text(encoding="utf-8").replace("$schema=../schemas/", "$schema=")
    example.write_text(example_text)
    big = scratch / "big-3000.cjm.yaml"
    big_text = make_map(3000)
    big.write_text(big_text)

    print(f"Machine: {os.cpu_count()} CPUs; load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    session = await Session().start(scratch)
    try:
        uri = await session.open(example, example_text)
        small = [await session.change(uri, edited(example_text, n)) for n in range(40)]
        small_cpu, session.cpu = session.cpu, []
        lines = example_text.split("\n")
        at = next(i for i, line in enumerate(lines) if line.strip().startswith("channel:"))
        column = lines[at].index("channel:") + len("channel: ")
        completions = []
        for _ in range(40):
            took, count = await session.complete(uri, at, column)
            assert count > 0
            completions.append(took)
        big_uri = await session.open(big, big_text)
        large = [await session.change(big_uri, edited(big_text, n)) for n in range(big_edits)]
        large_cpu, session.cpu = session.cpu, []
        session.client.text_document_did_close(session.types.DidCloseTextDocumentParams(
            text_document=session.types.TextDocumentIdentifier(uri=big_uri)))
        memory = []
        raw = await RawSession().start(scratch)
        try:
            raw_uri = await raw.open(example, example_text)
            raw_small = [await raw.change(raw_uri, edited(example_text, 500 + n)) for n in range(40)]
            raw_small_cpu, raw.cpu = raw.cpu, []
            raw_big = await raw.open(big, big_text)
            raw_large = [await raw.change(raw_big, edited(big_text, 500 + n)) for n in range(big_edits)]
            raw_large_cpu = raw.cpu
        finally:
            await raw.stop()
        for n in range(edits):
            await session.change(uri, edited(example_text, 1000 + n))
            if n in (99, edits // 2 - 1, edits - 1):
                memory.append((n + 1, rss_mib(session.pid)))
    finally:
        await session.stop()

    print("| case | runs | median ms | p90 ms | max ms | server CPU median ms | aim (median) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    print(row("change -> diagnostics, 30 touchpoints (example), pytest-lsp client", small, 50, small_cpu))
    print(row("change -> diagnostics, 30 touchpoints (example), plain JSON client", raw_small, 50, raw_small_cpu))
    print(row("change -> diagnostics, 3,000 touchpoints, pytest-lsp client", large, 1500, large_cpu))
    print(row("change -> diagnostics, 3,000 touchpoints, plain JSON client", raw_large, 1500, raw_large_cpu))
    print(row("completion, 30 touchpoints (example)", completions, 50))
    print()
    print("Server memory (RSS) over edits of the example: " +
          ", ".join(f"{mib:,.1f} MiB after {n:,}" for n, mib in memory))
    print(f"Load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=1000, help="edits of the example for the memory figure")
    parser.add_argument("--big-edits", type=int, default=7, help="edits of the 3,000-touchpoint map")
    parser.add_argument("--scratch", type=Path, default=HERE / ".data" / "lsp")
    args = parser.parse_args()
    asyncio.run(main(args.edits, args.big_edits, args.scratch))
