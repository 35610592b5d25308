"""The dev SMTP sink: messages sent over real SMTP become .eml files that read back whole."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from sandbox.mail.sink import message_files, read_messages, running_sink
from subgraphs.common.mail import KEY_HEADER, Mail, MailError, SmtpConfig, compose, send
from tests.support.processes import ROOT, free_port


def config(port: int) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=port, timeout=5.0, sender="Shop <shop@example.com>")


async def test_each_message_becomes_one_eml_file(tmp_path: Path) -> None:
    async with running_sink(tmp_path / "mail") as sink:
        await send(
            Mail("k-1", "ada@example.com", "Hello", "First line\nSecond line"), config(sink.port)
        )
        await send(Mail("k-2", "bruno@example.com", "Grüße", "Unicode: €, ü"), config(sink.port))
    files = message_files(tmp_path / "mail")
    assert [f.suffix for f in files] == [".eml", ".eml"]
    first, second = read_messages(tmp_path / "mail")
    assert (first["To"], first["Subject"], first[KEY_HEADER]) == ("ada@example.com", "Hello", "k-1")
    assert first.get_content() == "First line\nSecond line\n"
    assert (second["Subject"], second.get_content()) == ("Grüße", "Unicode: €, ü\n")
    assert not list((tmp_path / "mail").glob(".*.part"))  # no half-written files left


async def test_the_sink_takes_mail_from_any_smtp_client(tmp_path: Path) -> None:
    message = compose(Mail("k", "c@example.com", "Raw", "body"), sender="x@example.com")
    async with running_sink(tmp_path) as sink:
        await aiosmtplib.send(message, hostname="127.0.0.1", port=sink.port)
    [received] = read_messages(tmp_path)
    assert received["Message-ID"] == message["Message-ID"]


async def test_sending_to_a_closed_port_is_a_mail_error(tmp_path: Path) -> None:
    with pytest.raises(MailError):
        await send(Mail("k", "a@example.com", "s", "t"), config(free_port()))


def test_reading_an_empty_or_missing_folder_gives_nothing(tmp_path: Path) -> None:
    assert read_messages(tmp_path / "nowhere") == []
    assert read_messages(tmp_path) == []


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the mail sink did not start listening")


def test_switchboard_mailsink_writes_to_its_folder_and_lists_it_on_a_page(
    tmp_path: Path,
) -> None:
    port, http_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "switchboard", "mailsink", "--port", str(port), "--dir",
         str(tmp_path / "box"), "--http-port", str(http_port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_listening(port, process)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@x.org", "b@y.org", "CLI"
        message.set_content("sent with smtplib")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)
        [received] = read_messages(tmp_path / "box")
        assert received["Subject"] == "CLI"
        _wait_listening(http_port, process)
        page = f"http://127.0.0.1:{http_port}"
        assert httpx.get(f"{page}/health").text == "ok"
        listing = httpx.get(f"{page}/").text
        assert "1 message(s)" in listing
        assert "b@y.org" in listing
        [name] = [f.name for f in message_files(tmp_path / "box")]
        assert "sent with smtplib" in httpx.get(f"{page}/messages/{name}").text
        assert httpx.get(f"{page}/messages/..%2Fsecret.eml").status_code == 404
        # A second sink on the same port is refused with one clear line.
        clash = subprocess.run(
            [sys.executable, "-m", "switchboard", "mailsink", "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert clash.returncode == 2
        assert clash.stderr.startswith("switchboard mailsink: error: mail sink on 127.0.0.1:")
        assert "Traceback" not in clash.stderr
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"mail sink on smtp://127.0.0.1:{port}" in output.decode()
