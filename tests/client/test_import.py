"""The client stands alone: importing it in a fresh interpreter loads neither Airflow nor requests."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json
    import sys

    def loaded():
        airflow = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
        return {"airflow": airflow, "requests": "requests" in sys.modules}

    seen = {}
    from airflow_provider_intercom.client import IntercomClient
    seen["client"] = loaded()
    from airflow_provider_intercom.testing.emulator import IntercomEmulator
    seen["emulator"] = loaded()
    with IntercomEmulator(conversations=5) as emulator:
        unread = emulator.set_conversation(3, read=False)["id"]
        with IntercomClient(emulator.token, base_url=emulator.url) as client:
            answer = client.mark_conversation_read(unread)
        seen["after_request"] = loaded()
        seen["answer_read"] = answer["read"]
        seen["stored_read"] = emulator.get(unread)["read"]
        seen["wire"] = [(r.method, r.path, r.body) for r in emulator.requests]
        seen["unread"] = unread
    print(json.dumps(seen))
    """
)


def test_the_client_imports_no_airflow_and_marks_a_conversation_read() -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    # Importing the client loads no Airflow, and requests only when a request is made.
    assert seen["client"] == {"airflow": [], "requests": False}
    # The emulator, too, runs without Airflow.
    assert seen["emulator"] == {"airflow": [], "requests": False}
    assert seen["after_request"] == {"airflow": [], "requests": True}
    assert (seen["answer_read"], seen["stored_read"]) == (True, True)
    assert seen["wire"] == [["PUT", f"/conversations/{seen['unread']}", {"read": True}]]
