"""Invitation links by mail (issue #12): optional SMTP (TUNEFORGE_SMTP_URL) sends the link to the invitee;
without it, or when the mail server fails, nothing is lost — the inviter still has the link to copy, and
is told why the mail did not go. Against a mail server on loopback that checks credentials and commands."""

from __future__ import annotations

import logging
import socket

import pytest
from pydantic import SecretStr

from tuneforge.mail import server_of
from tuneforge.testing.fake_smtp import FakeSmtp

from ..audit.helpers import events, one
from ..teams.test_members import _invite, _team, _token

PASSWORD = "mail-secret-6c1d"


@pytest.fixture
def smtp(settings):
    with FakeSmtp(username="tuneforge", password=PASSWORD) as server:
        previous = settings.smtp_url, settings.public_url
        settings.smtp_url = SecretStr(server.url)
        yield server
        settings.smtp_url, settings.public_url = previous


async def test_the_invitee_gets_the_link_by_mail_and_it_works(client, register, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    ana = await register("ana@example.com", name="Ana")
    bo = await register("bo@example.com", name="Bo")
    team_id = await _team(client, ana, "Vision")
    invitation = await _invite(client, ana, team_id, "Bo@Example.com", "member")

    assert invitation["emailed"] is True and invitation["email_problem"] is None
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert smtp.envelopes[0][1] == ["bo@example.com"]
    assert mail["To"] == "bo@example.com"
    assert mail["Subject"] == "Ana invited you to Vision on TuneForge"
    body = mail.get_content()
    assert f"http://testserver{invitation['link']}" in body  # absolute: the invitee opens it from their mail
    assert "as member" in body and "works once" in body

    accepted = await client.post(f"/api/invitations/{_token(invitation)}/accept", headers=bo.headers)
    assert accepted.status_code == 200, accepted.text
    assert one(await events(client, ana, team_id), "invitation.mailed")["outcome"] == "success"
    assert PASSWORD not in caplog.text and PASSWORD not in str(invitation)


async def test_the_public_address_is_used_for_the_link_when_set(client, register, smtp, settings):
    settings.public_url = "https://tuneforge.example.com/"
    ana = await register("ana@example.com")
    team_id = await _team(client, ana)
    invitation = await _invite(client, ana, team_id, "cy@example.com")
    assert f"https://tuneforge.example.com{invitation['link']}\r\n" in smtp.messages[0].get_content()


async def test_a_refused_login_loses_nothing_and_says_why(client, register, smtp, settings):
    settings.smtp_url = SecretStr(smtp.url.replace(PASSWORD, "wrong-password"))
    ana = await register("ana@example.com")
    team_id = await _team(client, ana)
    invitation = await _invite(client, ana, team_id, "cy@example.com")

    assert invitation["emailed"] is False
    assert invitation["email_problem"] == (
        f"The mail server 127.0.0.1:{smtp.port} refused TuneForge's user name or password (TUNEFORGE_SMTP_URL)."
    )
    # smtplib tries each mechanism the server offers (PLAIN, then LOGIN): each is refused.
    assert smtp.messages == [] and set(smtp.refusals) == {"535 5.7.8 Authentication credentials invalid"}
    # The invitation stands, and its link is in the answer to copy by hand.
    pending = (await client.get(f"/api/teams/{team_id}/invitations", headers=ana.headers)).json()
    assert [(p["email"], p["status"]) for p in pending] == [("cy@example.com", "pending")]
    assert invitation["link"].startswith("/invitations/")
    assert one(await events(client, ana, team_id), "invitation.mailed")["outcome"] == "failure"


async def test_an_unreachable_server_and_a_refused_address_are_told_apart(client, register, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    previous = settings.smtp_url
    try:
        settings.smtp_url = SecretStr(f"smtp://127.0.0.1:{closed}")
        ana = await register("ana@example.com")
        team_id = await _team(client, ana)
        down = await _invite(client, ana, team_id, "cy@example.com")
        assert down["emailed"] is False
        assert down["email_problem"].startswith(f"The mail server 127.0.0.1:{closed} could not be reached")

        with FakeSmtp(refuse={"dee@example.com"}) as server:
            settings.smtp_url = SecretStr(server.url)
            refused = await _invite(client, ana, team_id, "dee@example.com")
        assert refused["email_problem"] == f"The mail server 127.0.0.1:{server.port} refused the address dee@example.com."
    finally:
        settings.smtp_url = previous


async def test_without_a_mail_server_nothing_is_sent_or_claimed(client, register, settings):
    assert settings.smtp_url is None
    ana = await register("ana@example.com")
    invitation = await _invite(client, ana, await _team(client, ana), "cy@example.com")
    assert invitation["emailed"] is False and invitation["email_problem"] is None


def test_the_setting_is_read_strictly(settings):
    copy = settings.model_copy(update={"smtp_url": SecretStr("smtps://a%40b:p%2Fw@mail.example.com")})
    server = server_of(copy)
    assert (server.host, server.port, server.tls, server.username, server.password) == ("mail.example.com", 465, True, "a@b", "p/w")
    with pytest.raises(ValueError, match="must look like smtp://"):
        server_of(settings.model_copy(update={"smtp_url": SecretStr("http://mail.example.com")}))
