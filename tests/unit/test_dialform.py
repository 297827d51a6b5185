"""The dial form's logic without widgets: fields per provider, values to a DialRequest, problems to fields."""

from __future__ import annotations

import pytest

from console.config import load_settings
from console.dialform import Editors, build_request, field_for, form_fields, initial_values, visible
from console.problems import InvalidInput
from console.request_parts import AmdOptions, headers_from_pairs


@pytest.fixture
def settings():
    return load_settings()


def shown(provider: str, target: str = "phone") -> set[str]:
    return {spec.name for spec in form_fields(provider) if visible(spec, target)}


def test_each_provider_shows_only_its_own_fields() -> None:
    assert {"trunk", "caller_name", "from_host", "timeout", "time_limit", "amd"} <= shown("cognigy")
    assert not shown("cognigy") & {"ibm_context", "mob_name"}
    assert {"sip_user", "sip_password"} <= shown("jambonz", "sip") and "trunk" not in shown("jambonz", "sip")
    assert {"tenant", "vmail"} <= shown("jambonz", "teams")
    assert {"ibm_context", "ibm_route", "ibm_sip_user", "ibm_sip_password"} <= shown("ibm")
    assert not shown("ibm") & {"amd", "timeout", "trunk"}
    assert {"mob_name", "mob_interval", "mob_webhook"} <= shown("mobtexting")
    assert not shown("mobtexting") & {"amd", "caller_name", "ibm_route"}


def test_the_form_builds_the_request_for_each_provider(settings) -> None:
    values = {**initial_values(settings, "demo-jambonz"), "to": "+1 212 555 0105", "timeout": "30", "amd": "on",
              "caller_name": "Ops"}
    editors = Editors(amd=AmdOptions.model_validate({"thresholdWordCount": 5}), tags=[("n", "2"), ("who", "bob")],
                      headers=[("X-Campaign", "spring")])
    request = build_request(settings, "demo-jambonz", values, editors)
    assert (request.destination, request.timeout, request.caller_name) == ("+12125550105", 30, "Ops")
    assert request.amd.threshold_word_count == 5 and request.tags == {"n": 2, "who": "bob"}
    assert request.headers == {"X-Campaign": "spring"}

    ibm = {**initial_values(settings, "demo-ibm"), "to": "+12125550101", "ibm_context": '{"customer": "A-17"}',
           "ibm_sip_user": "trunk", "ibm_sip_password": "pw"}
    request = build_request(settings, "demo-ibm", ibm, Editors())
    assert request.ibm.context == {"customer": "A-17"} and request.ibm.sip_auth.username == "trunk"

    mob = {**initial_values(settings, "demo-mobtexting"), "to": "+919876543210", "mob_interval": "15",
           "mob_name": "spring"}
    request = build_request(settings, "demo-mobtexting", mob, Editors())
    assert (request.mobtexting.flow_id, request.mobtexting.interval, request.mobtexting.name) == ("351", 15, "spring")
    # what the call plays is said in the form: a sound id is not sent as an IVR flow
    mob.update(application="39888925-718e-43bb-a8b1-d4a3c0ffee00", mob_plays="audio")
    request = build_request(settings, "demo-mobtexting", mob, Editors())
    assert (request.mobtexting.audio, request.mobtexting.flow_id) == ("39888925-718e-43bb-a8b1-d4a3c0ffee00", None)
    mob.update(application="https://example.com/hello.mp3", mob_plays="ivr")
    with pytest.raises(InvalidInput, match="is not an IVR flow id"):
        build_request(settings, "demo-mobtexting", mob, Editors())


def test_every_problem_names_the_form_field_it_belongs_to(settings) -> None:
    values = {**initial_values(settings, "demo-cognigy"), "to": "12", "timeout": "soon", "from": "call me"}
    with pytest.raises(InvalidInput) as caught:
        build_request(settings, "demo-cognigy", values, Editors(tags=[("big", "x" * 5000)]))
    fields = {p.field for p in caught.value.problems}
    assert {"to", "timeout", "from", "tags"} <= fields
    assert field_for("to.auth.password", "jambonz") == "sip_password"
    assert field_for("ibm.context", "ibm") == "ibm_context"
    assert field_for("mobtexting.interval", "mobtexting") == "mob_interval"
    assert field_for("application_sid", "cognigy") == "application"


def test_header_rows_are_checked_one_by_one() -> None:
    assert headers_from_pairs([("x-campaign", "spring")]) == {"x-campaign": "spring"}
    with pytest.raises(ValueError, match="line break"):
        headers_from_pairs([("X-Evil", "a\r\nBcc: b")])
    with pytest.raises(ValueError, match="appears twice"):
        headers_from_pairs([("X-A", "1"), ("x-a", "2")])


def test_a_password_is_kept_as_typed_whatever_it_looks_like(settings) -> None:
    from console.fields import parse_value

    assert parse_value('{"not": "json to me"}', "secret") == '{"not": "json to me"}'
    assert parse_value('"quoted"', "secret") == '"quoted"'
    values = {**initial_values(settings, "demo-jambonz"), "to_type": "sip", "to": "sip:alice@example.com",
              "sip_user": "alice", "sip_password": ' "p{w}" '}
    request = build_request(settings, "demo-jambonz", values, Editors())
    assert request.to.auth.password.get_secret_value() == ' "p{w}" '


def test_the_destination_placeholder_is_an_example_from_the_profiles_own_country() -> None:
    from console.dialform import destination_example

    assert destination_example("phone", "IN").startswith("e.g. +91 ")
    assert destination_example("phone", "GB").startswith("e.g. +44 ")
    assert destination_example("teams", "US").startswith("e.g. +1 ")
    assert destination_example("sip", "IN") == "e.g. sip:alice@example.com"
    assert destination_example("user", "IN").startswith("e.g. alice")
