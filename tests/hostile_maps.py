"""A valid map whose every text field is hostile: markup, script, template and Mermaid syntax.

Used by the HTML, Markdown, Mermaid and browser tests. A payload that ever ran would set
``window.__pwned`` or open a dialog; the browser test checks neither happens.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cjm.journey import Journey
from cjm.format.validate import validate_bytes

HOSTILE = (
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=1;alert(1)">',
    "' onmouseover='window.__pwned=1' x='",
    '" onmouseover="window.__pwned=1" x="',
    "</style><script>alert(document.domain)</script>",
    "</title></textarea><svg onload=window.__pwned=1>",
    "{{ 7*7 }} {% raw %} ${7*7} #{7*7}",
    '%%{init: {"securityLevel": "loose"}}%% click x call alert()',
    "a | b || c \\| d \\ trailing backslash\\",
    "# heading\n> quote\n- item\n1. item\n---\n===",
    "```` fence ``` and ~~~ tilde",
    "emoji \U0001F680\U0001F9ED, RTL \u202etxet\u202c, zero\u200bwidth",
    "javascript:window.__pwned=1",
    "title x; section y # z : w, v",
    "journey",
    "Title page: 5: Me",
    "&lt;b&gt; &amp; &#60;script&#62; #58; #quot; fl\u00b0\u00b060\u00b6\u00df",
    "<a href=\"javascript:window.__pwned=1\">click</a> [link](javascript:alert(1)) ![img](http://example.com/x.png)",
    "@everyone *bold* _em_ ~~strike~~ $x$ `code` <!-- comment -->",
)
# Links the model accepts (http(s) and relative) whose text tries to break out of an attribute.
BAD_URLS = ('https://example.com/"><script>window.__pwned=1</script>', "https://example.com/guide' onmouseover='window.__pwned=1")


def _pick(i: int) -> str:
    return HOSTILE[i % len(HOSTILE)]


def hostile_data() -> dict:
    """Map data with a hostile string in every text field (and links that try to break out of their attribute)."""
    n = iter(range(10_000))

    def text() -> str:
        return _pick(next(n))

    def texts(k: int = 3) -> list[str]:
        return [text() for _ in range(k)]

    personas = [
        {"id": f"p{i}", "name": text(), "description": text(), "demographics": {text()[:50] + str(i): text()},
         "goals": texts(), "challenges": texts(), "behaviors": texts(2), "channels": texts(2)}
        for i in range(3)
    ]
    stages = []
    for s in range(4):
        touchpoints = []
        for t in range(4 if s != 2 else 0):
            index = s * 4 + t
            touchpoints.append({
                "id": f"t{s}-{t}",
                "name": text(),
                "channel": text(),
                "medium": "owned",
                "online": True,
                "owner": text(),
                "personas": ["p0", "p1"] if t == 1 else None,
                "actions": texts(), "thoughts": texts(2), "pains": texts(2), "opportunities": texts(2),
                "frontstage": texts(1), "backstage": texts(1),
                "content": [text(), {"title": text(), "kind": text(), "url": BAD_URLS[index % 2], "owner": text()},
                            {"title": text(), "url": "https://example.com/a?b=\"onmouseover=x"}],
                "emotion": {"p0": -2 + (index % 5), "p1": 1, "p2": -0.5} if t != 3 else {"score": 1, "label": text()},
                "target_emotion": 1.5 if t == 0 else None,
                "moment_of_truth": t == 2,
                "metrics": [{"name": text(), "value": 3, "target": 5, "unit": text()[:20], "source": text()},
                            {"name": text(), "value": 3, "target": 5, "direction": "lower"}],
                "evidence": [{"source": text(), "kind": "qualitative", "n": 5, "url": BAD_URLS[(index + 1) % 2]}],
            })
        for tp in touchpoints:
            if tp["personas"] is None:
                del tp["personas"]
            if tp["target_emotion"] is None:
                del tp["target_emotion"]
        stages.append({"id": f"s{s}", "name": text(), "description": text(), "customer_goal": text(),
                       "content": [text()], "touchpoints": touchpoints})
    return {
        "cjm": 1, "id": "hostile", "title": text(), "description": "\n\n".join(texts(3)), "owner": text(),
        "reviewed": "2020-01-01",
        "objectives": [{"id": "o1", "statement": text(), "metric": text(), "baseline": 1, "target": 2, "unit": text()[:10]}],
        "personas": personas, "stages": stages,
    }


def hostile_yaml() -> bytes:
    return yaml.safe_dump(hostile_data(), sort_keys=False, allow_unicode=True).encode("utf-8")


def load_journey(raw: bytes, name: str = "map.cjm.yaml") -> Journey:
    loaded = validate_bytes(raw, Path(name), name)
    assert loaded.valid, [d.message for d in loaded.diagnostics]
    return Journey(loaded.journey, loaded.personas)


def hostile_journey() -> Journey:
    return load_journey(hostile_yaml(), "hostile.cjm.yaml")
